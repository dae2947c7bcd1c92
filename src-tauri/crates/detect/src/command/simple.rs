//! One simple command: the rules of the program it runs (its assignments, redirections, arguments read and files
//! written: `effects.rs`).

use super::*;

impl Cx {
    /// Rules for one simple command. `upstream` are the commands piped into it.
    pub(super) fn simple(&mut self, c: &Cmd<'_>, upstream: &[&(Cmd<'_>, Flow)], depth: usize) {
        use Category::*;
        // Substitutions run as code when they are the command itself or what an interpreter is given.
        let interp_like = is_interpreter(&c.name) || ["source", ".", "eval", "exec"].contains(&c.name.as_str());
        for (i, w) in c.simple.words.iter().enumerate() {
            let is_cmd = c.word_idx == Some(i);
            let is_arg = c.word_idx.is_some_and(|k| i > k);
            self.word_subs(w, depth, is_cmd || (interp_like && is_arg));
        }
        for w in &c.simple.assigns {
            self.word_subs(w, depth, false);
            if substitution_downloads(w)
                && let Some((k, _)) = w.text.split_once('=')
            {
                self.download_vars.push(k.to_owned());
            }
        }
        for r in &c.simple.redirs {
            if let Some(t) = &r.target {
                self.word_subs(t, depth, interp_like && r.op == RedirOp::HereString);
            }
        }
        self.assignments(c);
        let content = Self::upstream_literal(upstream);
        self.redirections(c, depth, Some(&content));
        self.args_read(c);
        // `$(curl …)` as the program, or `bash <(curl …)` / `bash -c "$(curl …)"` / `eval "$(curl …)"`.
        if let Some(w) = c.word
            && substitution_downloads(w)
        {
            self.add((DownloadExecute, "download_substituted_into_command", 85), c.span());
        }
        let uses_download_var = |t: &str| {
            self.download_vars.iter().any(|v| t.contains(&format!("${v}")) || t.contains(&format!("${{{v}}}")))
        };
        if interp_like && c.args.iter().any(|w| uses_download_var(&w.text)) {
            self.add((DownloadExecute, "downloaded_variable_executed", 85), c.span());
        }
        if interp_like && c.args.iter().any(|w| substitution_downloads(w)) {
            self.add((DownloadExecute, "download_substituted_into_interpreter", 90), c.span());
        }
        if interp_like && c.args.iter().any(|w| substitution_decodes(w)) {
            self.add((DefenseEvasion, "decoded_payload_executed", 55), c.span());
        }
        self.downloaded_run(c);
        if c.sudo && c.word.is_none() && c.sudo_shell {
            self.add((PrivilegeEscalation, "sudo_root_shell", 80), c.span());
        }
        if c.sudo
            && (SHELLS.contains(&c.name.as_str()) && c.positionals().is_empty() && !c.has_arg("-c")
                || c.sudo_shell && c.word.is_some())
        {
            self.add((PrivilegeEscalation, "sudo_root_shell", 80), c.span());
        }
        if c.sudo && c.args.iter().any(|w| spawns_shell(&w.text)) {
            self.add((PrivilegeEscalation, "sudo_shell_escape", 80), c.span());
        }
        let n = c.name.as_str();
        match n {
            _ if SHELLS.contains(&n) => self.shell_cmd(c, depth),
            "eval" => self.eval_args(c, depth),
            "su" => {
                let cmd = opt_values(&c.args, &['c'], &["command"], "sgC");
                for (w, _) in &cmd {
                    self.code("sh", w, depth + 1, c);
                }
                let pos: Vec<&str> =
                    operands(&c.args, "csgC", &["command", "shell", "group"]).iter().map(|w| w.text.as_str()).collect();
                if cmd.is_empty() && (pos.is_empty() || pos == ["-"] || pos.contains(&"root")) {
                    let score = if c.sudo { 85 } else { 75 };
                    self.add((PrivilegeEscalation, "switch_to_root", score), c.span());
                }
            }
            "pkexec" => {
                let shellish = c.positionals().first().is_some_and(|w| SHELLS.contains(&lc_basename(&w.text).as_str()));
                self.add((PrivilegeEscalation, "pkexec", if shellish { 85 } else { 60 }), c.span());
            }
            _ if is_interpreter(n) => self.interpreter(c, depth),
            "source" | "." => {}
            "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => {
                if let Some(prog) = operands(&c.args, "Fvf", &["field-separator", "assign", "file"]).first()
                    && !c.has_flag('f', "file") {
                        self.code("awk", prog, depth + 1, c);
                    }
            }
            "rm" | "unlink" | "srm" | "rmdir" => self.rm(c),
            "shred" | "wipe" => {
                let sensitive = c
                    .positionals()
                    .iter()
                    .any(|w| paths::critical_delete_target(&w.text).is_some() || paths::is_sensitive(&w.text));
                self.add((Destructive, "secure_delete", if sensitive { 85 } else { 70 }), c.span());
                for w in c.positionals() {
                    if let Some(cl) = paths::classify_write(&w.text).filter(|cl| cl.0 == DefenseEvasion) {
                        self.add(cl, w.span);
                    }
                }
            }
            "find" => self.find(c, depth),
            "dd" => {
                for w in &c.args {
                    if let Some(dev) = w.text.strip_prefix("of=")
                        && let Some(cl) = paths::classify_write(dev) {
                            self.add(cl, w.span);
                        }
                    if let Some(f) = w.text.strip_prefix("if=")
                        && let Some(cl) = paths::classify_read(f) {
                            self.add(cl, w.span);
                        }
                }
            }
            "git" => self.git(c),
            "truncate"
                if (c.arg_texts().any(|t| t == "0" || t == "-s0" || t == "--size=0") || c.has_arg("-s")) => {
                    for w in operands(&c.args, "sr", &["size", "reference"]) {
                        let log = paths::classify_write(&w.text).is_some_and(|cl| cl.0 == DefenseEvasion)
                            || w.text.ends_with(".log");
                        self.add((Destructive, "truncate_file", if log { 70 } else { 40 }), c.span());
                        if log {
                            self.add((DefenseEvasion, "log_tampering", 65), w.span);
                        }
                    }
                }
            "chmod" => self.chmod(c),
            "chown" | "chgrp"
                if c.has_flag('R', "recursive")
                    && c.positionals()
                        .iter()
                        .skip(1)
                        .any(|w| paths::critical_delete_target(&w.text).is_some_and(|s| s >= 95))
                => {
                    self.add((Destructive, "recursive_chown_system", 75), c.span());
                }
            "chattr"
                if c.arg_texts().any(|t| {
                    (t.starts_with('+') || t.starts_with('-')) && (t.contains('i') || t.contains('a')) && t.len() <= 4
                }) => {
                    self.add((DefenseEvasion, "immutable_attribute", 65), c.span());
                }
            "touch"
                // Back-dating matters for files an investigator would check, not for build markers.
                if (c.has_flag('d', "date") || c.has_flag('t', "") || c.has_flag('r', "reference")) => {
                    let system = c.positionals().iter().any(|w| {
                        let p = paths::normalise(&w.text);
                        [
                            "/usr", "/bin", "/sbin", "/etc", "/lib", "/var", "/opt", "/boot", "/root", "/library",
                            "/system",
                        ]
                        .iter()
                        .any(|d| p.starts_with(d))
                            || paths::classify_write(&w.text).is_some()
                    });
                    self.add((DefenseEvasion, "timestomp", if system { 65 } else { 45 }), c.span());
                }
            "kill" | "pkill" | "killall" | "skill" => {
                if c.args.iter().any(|w| security_process(&w.text)) {
                    self.add((DefenseEvasion, "security_process_killed", 70), c.span());
                }
                if n == "kill" && c.has_arg("-1") && c.args.len() >= 2 {
                    self.add((Destructive, "kill_all_processes", 65), c.span());
                }
            }
            "history"
                if (c.has_flag('c', "")
                    || c.has_flag('d', "")
                    || c.has_flag('w', "") && c.arg_texts().any(|t| t == "/dev/null"))
                => {
                    self.add((DefenseEvasion, "history_cleared", 70), c.span());
                }
            "unset"
                if c.arg_texts().any(|t| t == "HISTFILE" || t == "HISTORY" || t == "HISTSIZE") => {
                    self.add((DefenseEvasion, "history_disabled", 70), c.span());
                }
            "set" | "shopt"
                if (c.arg_texts().collect::<Vec<_>>().windows(2).any(|w| w == ["+o", "history"])
                    || c.has_arg("-u") && c.has_arg("histappend"))
                => {
                    self.add((DefenseEvasion, "history_disabled", 70), c.span());
                }
            "systemctl" | "service" | "launchctl" | "rc-service" | "update-rc.d" | "chkconfig" => self.services(c),
            "setenforce"
                if (c.has_arg("0") || c.arg_texts().any(|t| t.eq_ignore_ascii_case("permissive"))) => {
                    self.add((DefenseEvasion, "selinux_disabled", 75), c.span());
                }
            "ufw"
                if (c.has_arg("disable") || c.has_arg("reset")) => {
                    self.add((DefenseEvasion, "firewall_disabled", 75), c.span());
                }
            "iptables" | "ip6tables" | "iptables-legacy" | "nft"
                if (c.has_flag('F', "flush")
                    || c.has_flag('X', "delete-chain")
                    || c.arg_texts().any(|t| t == "ACCEPT") && c.has_flag('P', "policy")
                    || n == "nft" && c.has_arg("flush"))
                => {
                    self.add((DefenseEvasion, "firewall_disabled", 70), c.span());
                }
            "auditctl"
                if (c.has_flag('D', "") || c.arg_texts().collect::<Vec<_>>().windows(2).any(|w| w == ["-e", "0"])) => {
                    self.add((DefenseEvasion, "audit_disabled", 75), c.span());
                }
            "journalctl"
                if c.arg_texts().any(|t| t.starts_with("--vacuum")) => {
                    self.add((DefenseEvasion, "log_tampering", 70), c.span());
                }
            "spctl" | "csrutil"
                if (c.has_arg("--master-disable") || c.has_arg("disable") || c.has_arg("--global-disable")) => {
                    self.add((DefenseEvasion, "platform_protection_disabled", 80), c.span());
                }
            "sysctl"
                if c.arg_texts().any(|t| {
                    t.contains("randomize_va_space=0")
                        || t.contains("ptrace_scope=0")
                        || t.contains("kptr_restrict=0")
                        || t.contains("dmesg_restrict=0")
                }) => {
                    self.add((DefenseEvasion, "kernel_hardening_change", 65), c.span());
                }
            "dmesg"
                if (c.has_flag('C', "clear") || c.has_flag('c', "read-clear")) => {
                    self.add((DefenseEvasion, "log_tampering", 60), c.span());
                }
            "aa-teardown" | "aa-disable" | "apparmor_parser" if n != "apparmor_parser" || c.has_flag('R', "remove") => {
                self.add((DefenseEvasion, "apparmor_disabled", 70), c.span());
            }
            "wevtutil"
                if c.arg_texts().any(|t| t.eq_ignore_ascii_case("cl") || t.eq_ignore_ascii_case("clear-log")) => {
                    self.add((DefenseEvasion, "log_tampering", 80), c.span());
                }
            "crontab" => {
                if c.has_flag('r', "") {
                    self.add((Destructive, "crontab_removed", 60), c.span());
                } else if c.has_flag('l', "") {
                } else if c.has_flag('e', "") {
                    self.add((Persistence, "crontab_edit", 50), c.span());
                } else if !c.positionals().is_empty() && !c.has_arg("-") {
                    self.add((Persistence, "crontab_install", 75), c.span());
                } else if upstream.is_empty() {
                    self.add((Persistence, "crontab_install", 60), c.span());
                }
            }
            "at" | "batch"
                if (!upstream.is_empty() || c.has_flag('f', "")) => {
                    self.add((Persistence, "at_job", 55), c.span());
                }
            "defaults" => {
                if c.arg_texts().any(|t| t == "LoginHook" || t == "LogoutHook") {
                    self.add((Persistence, "login_hook", 80), c.span());
                }
                if c.arg_texts().any(|t| t == "LSQuarantine") {
                    self.add((DefenseEvasion, "quarantine_disabled", 60), c.span());
                }
            }
            "useradd" | "adduser" => {
                let uid0 = opt_values(&c.args, &['u'], &["uid"], "gGdskcepKbfZ").iter().any(|(_, v)| v == "0")
                    || c.has_flag('o', "non-unique");
                if uid0 {
                    self.add((PrivilegeEscalation, "uid0_account", 90), c.span());
                } else if n == "adduser"
                    && c.positionals().len() == 2
                    && c.positionals().get(1).is_some_and(|w| admin_group(&w.text))
                {
                    self.add((PrivilegeEscalation, "admin_group_membership", 80), c.span());
                } else {
                    self.add((Persistence, "account_created", 60), c.span());
                }
            }
            "usermod" | "gpasswd" => {
                let groups = opt_values(&c.args, &['G', 'g', 'a'], &["groups", "gid", "add"], "dlLpseuU");
                let adding = groups.iter().any(|(_, v)| v.split(',').any(admin_group))
                    || c.positionals().iter().any(|w| admin_group(&w.text));
                if adding {
                    self.add((PrivilegeEscalation, "admin_group_membership", 80), c.span());
                }
                if opt_values(&c.args, &['u'], &["uid"], "").iter().any(|(_, v)| v == "0") {
                    self.add((PrivilegeEscalation, "uid0_account", 90), c.span());
                }
            }
            "chpasswd" | "passwd"
                if (n == "chpasswd" || c.has_arg("root")) => {
                    self.add((Persistence, "password_set", 55), c.span());
                }
            "visudo" => self.add((PrivilegeEscalation, "sudoers_write", 70), c.span()),
            "setcap"
                if c.arg_texts().any(|t| {
                    let l = t.to_ascii_lowercase();
                    [
                        "cap_setuid",
                        "cap_setgid",
                        "cap_sys_admin",
                        "cap_dac_override",
                        "cap_dac_read_search",
                        "cap_sys_ptrace",
                        "=ep",
                        "all+ep",
                    ]
                    .iter()
                    .any(|m| l.contains(m))
                }) => {
                    self.add((PrivilegeEscalation, "capability_grant", 80), c.span());
                }
            "nsenter" => {
                let t1 = opt_values(&c.args, &['t'], &["target"], "").iter().any(|(_, v)| v == "1");
                if t1 || c.has_flag('a', "all") {
                    self.add((PrivilegeEscalation, "host_namespace_entry", 85), c.span());
                }
            }
            "docker" | "podman" | "nerdctl" => self.container(c, depth),
            "kubectl" | "oc" => self.kubectl(c, depth),
            "terraform" | "tofu" | "pulumi"
                if (c.has_arg("destroy") || c.has_arg("-destroy")) => {
                    self.add((Destructive, "infrastructure_destroy", 70), c.span());
                }
            "aws" => self.aws(c),
            "gcloud" | "az" | "gh" | "vault" => self.cloud_cli(c),
            "security" => {
                let sub = c.sub(0).unwrap_or_default();
                if ["find-generic-password", "find-internet-password", "find-certificate"].contains(&sub)
                    && (c.has_flag('w', "") || c.has_flag('g', "") || sub != "find-certificate")
                {
                    self.add((CredentialAccess, "keychain_dump", 85), c.span());
                } else if sub == "dump-keychain" || sub == "export" {
                    self.add((CredentialAccess, "keychain_dump", 90), c.span());
                }
            }
            "gpg" | "gpg2"
                if c.arg_texts()
                    .any(|t| t.starts_with("--export-secret-keys") || t.starts_with("--export-secret-subkeys"))
                => {
                    self.add((CredentialAccess, "gpg_secret_key_export", 75), c.span());
                }
            "secret-tool" | "kwallet-query" | "gnome-keyring-daemon"
                if (n != "secret-tool" || c.has_arg("lookup") || c.has_arg("search")) => {
                    self.add((CredentialAccess, "keyring_query", 65), c.span());
                }
            "lazagne"
            | "mimikatz"
            | "john"
            | "hashcat"
            | "hydra"
            | "unshadow"
            | "pypykatz"
            | "secretsdump.py"
            | "impacket-secretsdump"
            | "procdump"
            | "gsecdump"
            | "laZagne.py"
            | "truffleHog"
            | "trufflehog"
            | "gitleaks"
                if !["gitleaks", "trufflehog"].contains(&n)
                    || c.positionals().iter().any(|w| paths::is_broad_location(&w.text)) =>
            {
                self.add((CredentialAccess, "credential_dumping_tool", 80), c.span());
            }
            "grep" | "egrep" | "fgrep" | "rg" | "ag" | "ack" | "git-grep" => self.grep(c),
            "dig" | "nslookup" | "host" | "drill" | "ping" | "ping6" | "traceroute" | "nping"
                if c.args.iter().any(|w| dynamic_hostname(w)) => {
                    self.add((Exfiltration, "dns_exfiltration", 75), c.span());
                }
            _ if DOWNLOADERS.contains(&n) => self.downloader(c),
            _ if RAW_NET.contains(&n) => self.raw_net(c),
            "openssl"
                if c.has_arg("s_client") && c.simple.redirs.iter().any(|r| r.op == RedirOp::In) => {
                    let sens =
                        c.simple.redirs.iter().any(|r| r.target.as_ref().is_some_and(|t| paths::is_sensitive(&t.text)));
                    self.add((Exfiltration, "tls_socket_file_send", if sens { 90 } else { 70 }), c.span());
                }
            "ssh" | "autossh" => self.ssh(c, depth),
            "ngrok" | "cloudflared" | "lt" | "localtunnel" | "bore" | "frpc" | "chisel" | "pinggy" | "serveo"
            | "zrok" | "tmate" => {
                let tunnel = n != "cloudflared" || c.has_arg("tunnel") || c.has_arg("access");
                if tunnel {
                    self.add((RemoteShell, "tunnel_service", 75), c.span());
                }
            }
            "scp" | "sftp" | "rsync" | "rclone" | "gsutil" | "azcopy" | "s3cmd" | "lftp" | "ftp" | "smbclient"
            | "curlftpfs" => self.upload(c),
            "mail" | "mailx" | "sendmail" | "mutt" | "swaks" => {
                let attach = opt_values(&c.args, &['a', 'A'], &["attach", "attach-file"], "sbcrfS")
                    .into_iter()
                    .map(|(w, v)| (w.span, v))
                    .collect::<Vec<_>>();
                let redir_in: Vec<(Span, String)> = c
                    .simple
                    .redirs
                    .iter()
                    .filter(|r| r.op == RedirOp::In)
                    .filter_map(|r| r.target.as_ref().map(|t| (t.span, t.text.clone())))
                    .collect();
                for (span, path) in attach.iter().chain(redir_in.iter()) {
                    let sens = paths::is_sensitive(path);
                    self.add(
                        (Exfiltration, "mail_file_send", if sens { 90 } else { 65 }),
                        Span::new(c.span().start, span.end.max(c.span().start)),
                    );
                }
            }
            "mkfs" | "mke2fs" | "mkswap" | "wipefs" | "sgdisk" | "sfdisk" | "fdisk" | "parted" | "mkfs.ext4"
            | "mkfs.ext3" | "mkfs.ext2" | "mkfs.xfs" | "mkfs.btrfs" | "mkfs.vfat" | "mkfs.fat" | "mkfs.ntfs"
            | "blkdiscard" | "format" | "diskutil" => {
                let dev =
                    c.args.iter().any(|w| {
                        paths::is_block_device(&paths::normalise(&w.text)) || w.text.eq_ignore_ascii_case("c:")
                    }) || (n == "diskutil"
                        && c.arg_texts().any(|t| t.starts_with("erase") || t == "zeroDisk" || t == "secureErase"));
                let read_only =
                    (n == "fdisk" || n == "parted" || n == "sfdisk") && (c.has_flag('l', "list") || c.has_arg("print"));
                if dev && !read_only {
                    self.add((Destructive, "disk_format", 90), c.span());
                }
            }
            _ if n.starts_with("mkfs.") => self.add((Destructive, "disk_format", 90), c.span()),
            "zpool" | "zfs" | "lvremove" | "vgremove" | "pvremove" | "mdadm" | "cryptsetup"
                if (c.has_arg("destroy")
                    || n.ends_with("remove")
                    || c.has_arg("--zero-superblock")
                    || c.has_arg("luksErase")
                    || c.has_arg("erase"))
                => {
                    self.add((Destructive, "storage_destroyed", 85), c.span());
                }
            "vssadmin" | "wbadmin" | "bcdedit"
                if c.arg_texts().any(|t| t.eq_ignore_ascii_case("delete") || t.eq_ignore_ascii_case("recoveryenabled"))
                => {
                    self.add((Destructive, "recovery_destroyed", 90), c.span());
                }
            "shutdown" | "reboot" | "halt" | "poweroff" => self.add((Destructive, "system_shutdown", 55), c.span()),
            "init" | "telinit"
                if (c.has_arg("0") || c.has_arg("6")) => {
                    self.add((Destructive, "system_shutdown", 55), c.span());
                }
            "dropdb" | "dropuser" => self.add((Destructive, "database_dropped", 80), c.span()),
            "psql" | "mysql" | "mariadb" | "sqlite3" | "sqlcmd" | "clickhouse-client" | "cockroach" | "mongo"
            | "mongosh" | "redis-cli" => self.database(c),
            "insmod" | "modprobe"
                if !c.has_flag('r', "remove") => {
                    self.add((Persistence, "kernel_module_load", 60), c.span());
                }
            "certutil"
                if c.arg_texts().any(|t| t.eq_ignore_ascii_case("-urlcache") || t.eq_ignore_ascii_case("/urlcache")) => {
                    self.add((DownloadExecute, "certutil_download", 75), c.span());
                }
            "mshta" | "regsvr32" | "rundll32"
                if c.arg_texts()
                    .any(|t| t.to_ascii_lowercase().contains("http") || t.to_ascii_lowercase().contains("javascript:"))
                => {
                    self.add((DownloadExecute, "signed_binary_proxy_execution", 85), c.span());
                }
            "schtasks"
                if c.arg_texts().any(|t| t.eq_ignore_ascii_case("/create")) => {
                    self.add((Persistence, "scheduled_task", 70), c.span());
                }
            "reg"
                if c.arg_texts().any(|t| t.to_ascii_lowercase().contains("\\currentversion\\run")) => {
                    self.add((Persistence, "registry_run_key", 75), c.span());
                }
            "systemd-run"
                if c.arg_texts().any(|t| t.starts_with("--on-") || t.starts_with("--unit")) => {
                    self.add((Persistence, "transient_timer", 55), c.span());
                }
            _ => {}
        }
        // Writers: cp / mv / install / ln / tee / sed -i / rsync (local).
        self.file_writes(c, upstream);
    }
}
