//! Rules for particular programs: shells and `eval`, interpreters, `rm`, `find`, `git`, `chmod`, services, containers, `kubectl`.

use super::*;

impl Cx {
    pub(super) fn shell_cmd(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        // `-c STRING`, also in clusters such as `-lc`, `-ic`; the string is the first operand after it.
        let mut code: Option<&Word> = None;
        let mut seen_c = false;
        for w in &c.args {
            let t = w.text.as_str();
            if seen_c && !t.starts_with('-') {
                code = Some(*w);
                break;
            }
            if t.starts_with('-') && !t.starts_with("--") && t.contains('c') && t.len() <= 5 {
                seen_c = true;
            }
        }
        if let Some(w) = code {
            self.code("sh", w, depth + 1, c);
        }
        if c.has_arg("-p") && code.is_none() {
            self.add((PrivilegeEscalation, "privileged_shell", 60), c.span());
        }
        if code.is_none() {
            for w in c.positionals() {
                if self.is_download(&w.text) {
                    self.add((DownloadExecute, "downloaded_file_executed", 85), c.span());
                }
                if w.process_sub && w.subs.iter().any(script_downloads) {
                    self.add((DownloadExecute, "download_substituted_into_interpreter", 90), c.span());
                }
            }
        }
    }

    pub(super) fn eval_args(&mut self, c: &Cmd<'_>, depth: usize) {
        match c.args.as_slice() {
            [one] => self.code("sh", one, depth + 1, c),
            [first, .., last] => {
                let text = c.args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
                let src = Src::opaque(text, Span::new(first.span.start, last.span.end));
                self.source(&src, depth + 1);
            }
            [] => {}
        }
    }

    pub(super) fn interpreter(&mut self, c: &Cmd<'_>, depth: usize) {
        let n = c.name.as_str();
        let flags: &[&str] = match n {
            _ if is_python(n) => &["-c"],
            "perl" | "ruby" | "lua" => &["-e", "-E"],
            "php" => &["-r"],
            "node" | "nodejs" | "deno" | "bun" => &["-e", "--eval", "-p", "--print", "eval"],
            "pwsh" | "powershell" => &["-c", "-command", "-encodedcommand", "-enc", "-e", "-ec"],
            "osascript" => &["-e"],
            _ => &[],
        };
        let mut i = 0;
        while let Some(w) = c.args.get(i) {
            let t = w.text.to_ascii_lowercase();
            if flags.contains(&t.as_str()) {
                if let Some(code) = c.args.get(i + 1) {
                    if (n == "pwsh" || n == "powershell") && t.starts_with("-e") {
                        // -EncodedCommand: base64 of UTF-16LE.
                        if let Some(b) = decode_b64(&code.text) {
                            let units: Vec<u16> = b
                                .chunks(2)
                                .map(|p| {
                                    u16::from(p.first().copied().unwrap_or(0))
                                        | (u16::from(p.get(1).copied().unwrap_or(0)) << 8)
                                })
                                .collect();
                            let text = String::from_utf16_lossy(&units);
                            let src = Src::opaque(text, code.span);
                            self.script_code(&src, depth + 1, c);
                        }
                    } else {
                        self.code(n, code, depth + 1, c);
                    }
                    i += 1;
                }
            } else if t.starts_with("-c") && is_python(n) && t.len() > 2 {
                let src = w.sub_src(2, w.text.len());
                self.script_code(&src, depth + 1, c);
            }
            i += 1;
        }
        // A downloaded file run by the interpreter.
        for w in c.positionals() {
            if self.is_download(&w.text) {
                self.add((Category::DownloadExecute, "downloaded_file_executed", 85), c.span());
            }
        }
    }

    pub(super) fn is_download(&self, path: &str) -> bool {
        let p = paths::normalise(path);
        let base = paths::basename(&p).to_owned();
        !base.is_empty()
            && self.downloads.iter().any(|(full, b)| {
                *full == p
                    || (*b == base
                        && (p == base
                            || p.starts_with("/tmp")
                            || p.starts_with("/dev/shm")
                            || p.starts_with("/var/tmp")
                            || full.ends_with(&p)))
            })
    }

    pub(super) fn downloaded_run(&mut self, c: &Cmd<'_>) {
        let Some(w) = c.word else { return };
        if self.is_download(&w.text) {
            self.add(
                (Category::DownloadExecute, "downloaded_file_executed", 85),
                Span::new(w.span.start, c.span().end.max(w.span.end)),
            );
        }
    }

    pub(super) fn rm(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let recursive = c.has_flag('r', "recursive") || c.has_flag('R', "") || c.name == "rmdir";
        let no_preserve = c.has_arg("--no-preserve-root");
        for w in c.positionals() {
            let t = w.text.as_str();
            if let Some(cl) = paths::classify_write(t).filter(|cl| cl.0 == DefenseEvasion) {
                self.add(cl, w.span);
                continue;
            }
            if t.contains("/var/log") {
                self.add((DefenseEvasion, "log_tampering", 70), w.span);
                continue;
            }
            match paths::critical_delete_target(t) {
                Some(score) if recursive || no_preserve => {
                    self.add((Destructive, "recursive_delete_critical", score), c.span())
                }
                Some(score) if score >= 95 && t.ends_with('*') => {
                    self.add((Destructive, "recursive_delete_critical", 80), c.span())
                }
                _ => {
                    if let Some(cl) = paths::classify_write(t).filter(|cl| cl.0 != DefenseEvasion) {
                        let rule = if cl.0 == Persistence { "startup_file_deleted" } else { "critical_file_deleted" };
                        self.add((Destructive, rule, 60), w.span);
                    }
                }
            }
        }
        if no_preserve {
            self.add((Destructive, "recursive_delete_critical", 95), c.span());
        }
    }

    pub(super) fn find(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        let roots: Vec<&Word> =
            c.args.iter().copied().take_while(|w| !w.text.starts_with('-') && w.text != "(" && w.text != "!").collect();
        let broad = roots.iter().any(|w| paths::is_broad_location(&w.text) || w.text == "/");
        let critical = roots.iter().any(|w| paths::critical_delete_target(&w.text).is_some_and(|s| s >= 80));
        let texts: Vec<&str> = c.arg_texts().collect();
        let deletes = texts.contains(&"-delete")
            || texts.windows(2).any(|p| {
                (p.first() == Some(&"-exec") || p.first() == Some(&"-execdir"))
                    && p.get(1).is_some_and(|t| ["rm", "shred", "/bin/rm"].contains(t))
            });
        if deletes && critical {
            self.add((Destructive, "recursive_delete_critical", 85), c.span());
        }
        for (i, t) in texts.iter().enumerate() {
            if ["-name", "-iname", "-path", "-ipath", "-regex", "-wholename"].contains(t)
                && let Some(pat) = texts.get(i + 1)
                && credential_name_pattern(pat)
            {
                self.add((CredentialAccess, "credential_search", if broad { 70 } else { 40 }), c.span());
            }
            if *t == "-perm"
                && texts.get(i + 1).is_some_and(|p| {
                    p.contains("4000")
                        || p.contains("u=s")
                        || p.contains("u+s")
                        || p.contains("2000")
                        || p.contains("6000")
                })
            {
                self.add((PrivilegeEscalation, "suid_search", 55), c.span());
            }
            if (*t == "-exec" || *t == "-execdir" || *t == "-ok")
                && texts.get(i + 1).is_some_and(|x| SHELLS.contains(&lc_basename(x).as_str()))
            {
                let score = if c.sudo || texts.contains(&"-p") { 80 } else { 50 };
                self.add((PrivilegeEscalation, "find_exec_shell", score), c.span());
            }
        }
        // `-exec sh -c '…' \;` bodies.
        let mut i = 0;
        while let Some(w) = c.args.get(i) {
            if w.text == "-c"
                && let Some(code) = c.args.get(i + 1)
            {
                self.code("sh", code, depth + 1, c);
            }
            i += 1;
        }
    }

    pub(super) fn git(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let pos = c.positionals();
        let Some(sub) = pos.first().map(|w| w.text.as_str()) else { return };
        if sub != "push" {
            return;
        }
        let force = c.has_flag('f', "force") || c.has_arg("--mirror") || pos.iter().any(|w| w.text.starts_with('+'));
        let delete = c.has_flag('d', "delete") || pos.iter().any(|w| w.text.starts_with(':'));
        let protected = |t: &str| {
            let branch =
                t.trim_start_matches('+').rsplit(':').next().unwrap_or_default().trim_start_matches("refs/heads/");
            ["main", "master", "production", "prod", "release", "trunk", "develop"].contains(&branch)
        };
        let targets_protected = pos.iter().skip(1).any(|w| protected(&w.text));
        if (force || delete) && targets_protected {
            self.add((Destructive, "force_push_protected_branch", 80), c.span());
        } else if c.has_arg("--mirror") || (force && pos.len() <= 2 && !c.has_arg("--force-with-lease")) {
            self.add((Destructive, "force_push", 45), c.span());
        }
    }

    pub(super) fn chmod(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let ops = operands(&c.args, "", &["reference"]);
        let Some(mode) = ops.first().map(|w| w.text.as_str()) else { return };
        let files: Vec<&Word> = ops.iter().skip(1).copied().collect();
        let setuid = mode.contains("+s")
            || mode.contains("u+s")
            || mode.contains("g+s")
            || (mode.len() == 4
                && mode.bytes().all(|b| b.is_ascii_digit())
                && matches!(mode.as_bytes().first(), Some(b'2' | b'4' | b'6' | b'7')));
        if setuid {
            self.add((PrivilegeEscalation, "setuid_bit", 85), c.span());
        }
        let open = ["777", "0777", "666", "a+rwx", "o+w", "a+w", "ugo+rwx", "000", "0000"].contains(&mode);
        if open
            && c.has_flag('R', "recursive")
            && files.iter().any(|w| paths::critical_delete_target(&w.text).is_some_and(|s| s >= 80))
        {
            self.add((Destructive, "recursive_chmod_system", 85), c.span());
        } else if open
            && files.iter().any(|w| {
                paths::classify_write(&w.text).is_some_and(|cl| cl.0 == PrivilegeEscalation)
                    || paths::is_sensitive(&w.text)
            })
        {
            self.add((PrivilegeEscalation, "sensitive_file_permissions", 75), c.span());
        }
        let exec = mode.contains("+x")
            || mode.bytes().all(|b| b.is_ascii_digit()) && mode.bytes().last().is_some_and(|b| b == b'5' || b == b'7');
        if exec {
            for w in &files {
                if self.is_download(&w.text) {
                    self.add((DownloadExecute, "downloaded_file_made_executable", 70), c.span());
                }
            }
        }
    }

    pub(super) fn services(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let n = c.name.as_str();
        let texts: Vec<&str> = c.arg_texts().collect();
        let stop = texts.iter().any(|t| ["stop", "disable", "mask", "kill", "unload", "bootout"].contains(t));
        if stop && texts.iter().any(|t| security_process(t)) {
            self.add((DefenseEvasion, "security_service_stopped", 75), c.span());
            return;
        }
        if n == "systemctl" && texts.iter().any(|t| ["poweroff", "reboot", "halt", "kexec"].contains(t)) {
            self.add((Destructive, "system_shutdown", 55), c.span());
        }
        let enable = match n {
            "launchctl" => texts.iter().any(|t| ["load", "bootstrap", "submit", "enable"].contains(t)),
            "update-rc.d" => texts.iter().any(|t| *t == "defaults" || *t == "enable"),
            "chkconfig" => texts.iter().any(|t| *t == "on" || *t == "--add"),
            "rc-service" | "service" => false,
            _ => texts.iter().any(|t| *t == "enable" || *t == "link"),
        };
        if enable {
            let score = if self.wrote_service
                || n == "launchctl" && texts.iter().any(|t| t.contains("launchagents") || t.contains("LaunchAgents"))
            {
                80
            } else {
                45
            };
            self.add((Persistence, "service_enabled", score), c.span());
        }
    }

    pub(super) fn container(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        let pos = c.positionals();
        let sub = pos.first().map(|w| w.text.as_str()).unwrap_or_default();
        if !["run", "create", "exec", "container"].contains(&sub) {
            return;
        }
        if c.has_arg("--privileged") {
            self.add((PrivilegeEscalation, "privileged_container", 80), c.span());
        }
        let vols = opt_values(&c.args, &['v'], &["volume", "mount"], "ewpuhlcm");
        for (w, v) in &vols {
            let host = if v.contains("source=") || v.contains("src=") {
                v.split(',')
                    .find_map(|kv| kv.strip_prefix("source=").or_else(|| kv.strip_prefix("src=")))
                    .unwrap_or_default()
                    .to_owned()
            } else {
                v.split(':').next().unwrap_or_default().to_owned()
            };
            let h = paths::normalise(&host);
            let h = h.trim_end_matches('/');
            if h.is_empty() && host.starts_with('/')
                || [
                    "/etc",
                    "/root",
                    "/var/run/docker.sock",
                    "/run/docker.sock",
                    "/home",
                    "/boot",
                    "/dev",
                    "/proc",
                    "/sys",
                    "/var/lib/docker",
                    "~",
                    "~/.ssh",
                ]
                .contains(&h)
            {
                self.add((PrivilegeEscalation, "container_host_mount", 80), w.span);
            }
        }
        let pid_host = opt_values(&c.args, &[], &["pid", "ipc", "uts", "userns"], "").iter().any(|(_, v)| v == "host");
        if pid_host {
            self.add((PrivilegeEscalation, "container_host_namespace", 70), c.span());
        }
        if opt_values(&c.args, &[], &["cap-add"], "").iter().any(|(_, v)| {
            ["SYS_ADMIN", "ALL", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH"]
                .contains(&v.to_ascii_uppercase().as_str())
        }) {
            self.add((PrivilegeEscalation, "container_capability", 75), c.span());
        }
        // The command run inside: after the image for `run`, after the container for `exec`.
        let inner = operands(
            &c.args,
            "ewpuvhlcm",
            &[
                "env",
                "workdir",
                "publish",
                "user",
                "volume",
                "hostname",
                "label",
                "cpu-shares",
                "memory",
                "name",
                "network",
                "net",
                "entrypoint",
                "mount",
                "env-file",
                "pid",
                "ipc",
                "uts",
                "cap-add",
                "cap-drop",
                "platform",
                "restart",
                "device",
                "add-host",
                "dns",
                "log-driver",
                "runtime",
                "security-opt",
                "ulimit",
                "tmpfs",
                "gpus",
                "shm-size",
                "stop-signal",
                "health-cmd",
                "userns",
            ],
        );
        let skip = if sub == "container" { 3 } else { 2 };
        let rest: Vec<&Word> = inner.into_iter().skip(skip).collect();
        self.inner_command(&rest, depth, c);
    }

    pub(super) fn kubectl(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        let pos = c.positionals();
        let sub = pos.first().map(|w| w.text.as_str()).unwrap_or_default();
        let texts: Vec<&str> = c.arg_texts().collect();
        match sub {
            "delete" => {
                let wide = c.has_arg("--all")
                    || c.has_flag('A', "all-namespaces")
                    || pos.get(1).is_some_and(|w| {
                        ["ns", "namespace", "namespaces", "pv", "pvc", "node", "nodes", "crd"]
                            .contains(&w.text.as_str())
                    });
                if wide {
                    self.add((Destructive, "cluster_resources_deleted", 70), c.span());
                }
            }
            "get" | "describe" => {
                let secret = pos.get(1).is_some_and(|w| w.text.starts_with("secret"));
                let dumped = texts.iter().any(|t| {
                    t.starts_with("-o")
                        || t.starts_with("--output")
                        || *t == "yaml"
                        || *t == "json"
                        || t.contains("jsonpath")
                });
                if secret && dumped {
                    self.add((CredentialAccess, "cluster_secret_read", 60), c.span());
                }
            }
            "config" if c.has_arg("--raw") => {
                self.add((CredentialAccess, "kubeconfig_read", 65), c.span());
            }
            "exec" => {
                if let Some(i) = c.args.iter().position(|w| w.text == "--") {
                    let rest: Vec<&Word> = c.args.iter().skip(i + 1).copied().collect();
                    self.inner_command(&rest, depth, c);
                }
            }
            _ => {}
        }
    }

    /// A command given as separate words (`docker run img CMD…`, `kubectl exec -- CMD…`, `ssh host CMD…`).
    pub(super) fn inner_command(&mut self, words: &[&Word], depth: usize, c: &Cmd<'_>) {
        match words {
            [] => {}
            [one] => self.code("sh", one, depth + 1, c),
            [first, .., last] => {
                // Re-quote each word so that the inner parse sees the same words.
                let mut text = String::new();
                for w in words {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push('\'');
                    text.push_str(&w.text.replace('\'', "'\\''"));
                    text.push('\'');
                }
                let src = Src::opaque(text, Span::new(first.span.start, last.span.end));
                self.source(&src, depth + 1);
            }
        }
    }
}
