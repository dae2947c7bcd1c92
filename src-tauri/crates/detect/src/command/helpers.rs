//! Small predicates and decoders the rules share.

use super::*;

/// Commands that take paths without revealing their contents.
pub(super) const NON_READERS: &[&str] = &[
    "ls",
    "stat",
    "test",
    "[",
    "[[",
    "chmod",
    "chown",
    "chgrp",
    "chattr",
    "lsattr",
    "ssh",
    "ssh-add",
    "ssh-keygen",
    "ssh-copy-id",
    "mkdir",
    "touch",
    "rm",
    "unlink",
    "shred",
    "mv",
    "ln",
    "realpath",
    "readlink",
    "dirname",
    "basename",
    "echo",
    "printf",
    "git",
    "docker",
    "podman",
    "source",
    ".",
    "export",
    "unset",
    "cd",
    "pushd",
    "type",
    "which",
    "hash",
    "tee",
    "truncate",
    "dd",
    "kubectl",
    "helm",
    "terraform",
    "gcloud",
    "az",
    "gh",
    "npm",
    "cargo",
    "pip",
    "du",
    "wc",
    "file",
    "touch",
    "install",
    "find",
    "ssh-agent",
    "gpg-agent",
    "chmod",
    "sops",
    "direnv",
    "dotenv",
    "set",
    "rsync",
    "scp",
];

pub(super) fn arg_paths(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let t = t.trim();
    if t.is_empty() {
        return out;
    }
    out.push(t.to_owned());
    if let Some(r) = t.strip_prefix('@') {
        out.push(r.to_owned());
    }
    if let Some((_, v)) = t.split_once('=') {
        out.push(v.trim_start_matches(['@', '<']).to_owned());
    }
    if let Some((_, v)) = t.split_once(':')
        && !t.contains("://")
    {
        out.push(v.to_owned());
    }
    out
}

/// `(word, path, form)` for each file a curl-like command uploads: `-d @f`, `-F x=@f`, `-T f`, `--upload-file f`.
pub(super) fn upload_values<'a>(c: &Cmd<'a>) -> Vec<(&'a Word, String, &'static str)> {
    let mut out = Vec::new();
    let vs = "dFTXHuAexbcKmwrECUYyzQtPo";
    for (w, v) in opt_values(&c.args, &['d'], &["data", "data-binary", "data-urlencode", "data-ascii", "json"], vs) {
        if let Some(p) = v.strip_prefix('@') {
            out.push((w, p.to_owned(), "data"));
        }
    }
    for (w, v) in opt_values(&c.args, &['F'], &["form"], vs) {
        if let Some((_, p)) = v.split_once("=@").or_else(|| v.split_once("=<")) {
            out.push((w, p.split(';').next().unwrap_or_default().to_owned(), "form"));
        }
    }
    for (w, v) in opt_values(&c.args, &['T'], &["upload-file"], vs) {
        out.push((w, v, "upload"));
    }
    out
}

pub(super) fn is_remote_path(t: &str) -> bool {
    if t.contains("://") {
        return true;
    }
    if t.starts_with('/') || t.starts_with('.') || t.starts_with('~') {
        return false;
    }
    // host:path, user@host:path, remote:path (rclone)
    t.split_once(':').is_some_and(|(h, _)| {
        !h.is_empty() && !h.contains('/') && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"@.-_".contains(&b))
    })
}

pub(super) fn token_print(c: &Cmd<'_>) -> Option<&'static str> {
    let pos: Vec<&str> = c.positionals().iter().map(|w| w.text.as_str()).collect();
    match (c.name.as_str(), pos.as_slice()) {
        ("gcloud", ["auth", "print-access-token" | "print-identity-token", ..])
        | ("gcloud", ["auth", "application-default", "print-access-token", ..]) => Some("cloud_token_print"),
        ("az", ["account", "get-access-token", ..]) => Some("cloud_token_print"),
        ("gh", ["auth", "token", ..]) => Some("cloud_token_print"),
        ("aws", ["sts", "get-session-token", ..]) | ("aws", ["ecr", "get-login-password", ..]) => {
            Some("cloud_token_print")
        }
        ("vault", ["print", "token", ..]) => Some("cloud_token_print"),
        _ => None,
    }
}

pub(super) fn admin_group(g: &str) -> bool {
    ["sudo", "wheel", "admin", "root", "adm", "docker", "lxd", "disk", "shadow"].contains(&g)
}

pub(super) fn security_process(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    let l = l.trim_end_matches(".service");
    [
        "auditd",
        "falcon-sensor",
        "falcond",
        "crowdstrike",
        "osqueryd",
        "wazuh-agent",
        "ossec",
        "clamav",
        "clamd",
        "firewalld",
        "ufw",
        "apparmor",
        "selinux",
        "sysmon",
        "carbonblack",
        "cbagentd",
        "sentinelone",
        "sentineld",
        "cylancesvc",
        "mdatp",
        "wdavdaemon",
        "aide",
        "tripwire",
        "rsyslog",
        "syslog-ng",
        "systemd-journald",
        "journald",
        "fail2ban",
        "snort",
        "suricata",
        "elastic-agent",
        "filebeat",
        "auditbeat",
        "iptables",
        "nftables",
        "xprotect",
        "santa",
        "santad",
        "syslogd",
    ]
    .contains(&l)
}

/// A hostname built from a variable or a substitution followed by a domain (`$(whoami).evil.com`).
pub(super) fn dynamic_hostname(w: &Word) -> bool {
    let t = w.text.as_str();
    if w.text.starts_with('-') {
        return false;
    }
    let dyn_part = t.contains("$(") || t.contains('`') || t.contains("${") || t.contains('$');
    let Some(last_dollar) = t.rfind([')', '`', '}']).or_else(|| t.find('$')) else { return false };
    let rest = t.get(last_dollar..).unwrap_or_default();
    dyn_part && rest.contains('.') && t.split('.').filter(|l| !l.is_empty()).count() >= 3
}

pub(super) fn credential_name_pattern(p: &str) -> bool {
    let l = p.to_ascii_lowercase();
    let l = l.trim_matches(['"', '\'', '*']);
    [
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".pem",
        ".key",
        ".kdbx",
        ".env",
        "credentials",
        ".netrc",
        "wallet.dat",
        ".ppk",
        ".p12",
        ".pfx",
        ".keychain",
        "password",
        "passwd",
        "secret",
        "shadow",
        ".git-credentials",
        "authorized_keys",
        ".pgpass",
        "token",
    ]
    .iter()
    .any(|m| l.contains(m))
}

/// Arguments that, given to `sudo <program>`, spawn a root shell (GTFOBins).
pub(super) fn spawns_shell(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    [
        "!/bin/sh",
        "!/bin/bash",
        "!sh",
        "!bash",
        "exec=/bin/sh",
        "exec=sh",
        "exec=/bin/bash",
        "system(\"/bin/sh",
        "system(\"/bin/bash",
        "system('/bin/sh",
        "system('/bin/bash",
        "system(\"sh",
        "exec \"/bin/sh",
        "exec('/bin/sh",
        "exec(\"/bin/sh",
        "pty.spawn",
        "/bin/sh -p",
        "--interactive",
    ]
    .iter()
    .any(|m| l.contains(m))
        || l == "/bin/sh"
        || l == "/bin/bash"
}

/// Score for content written to a shell startup file: 0 for ordinary setup, high for hooks that fetch or
/// connect, medium when unknown.
pub(super) fn startup_content_score(content: &str) -> u8 {
    let l = content.to_ascii_lowercase();
    let bad = [
        "curl",
        "wget",
        "/dev/tcp",
        "nc ",
        "ncat",
        "socat",
        "base64",
        "nohup",
        "/tmp/",
        "/dev/shm",
        "python -c",
        "python3 -c",
        "perl -e",
        "bash -i",
        "sh -i",
        "| sh",
        "|sh",
        "| bash",
        "|bash",
        "&>/dev/null &",
        " &",
        "eval $(echo",
        "ld_preload",
        "alias sudo",
        "alias ssh",
    ]
    .iter()
    .any(|m| l.contains(m));
    if bad {
        return 85;
    }
    if l.contains("<unknown>") || l.trim().is_empty() {
        return 60;
    }
    let benign = l.split(['\n', ';']).map(str::trim).filter(|s| !s.is_empty()).all(|s| {
        [
            "export ",
            "alias ",
            "source ",
            ". ",
            "eval \"$(",
            "eval $(",
            "path=",
            "set -o",
            "shopt ",
            "ulimit ",
            "umask ",
            "#",
            "bind ",
            "complete ",
            "fpath=",
            "zstyle",
            "autoload",
            "setopt",
            "[ -f",
            "[[ -f",
            "if ",
            "fi",
            "then",
            "plugins=",
            "theme=",
            "zsh_theme",
        ]
        .iter()
        .any(|p| s.starts_with(p))
            || shell::is_assignment(s.split_whitespace().next().unwrap_or_default())
    });
    if benign { 35 } else { 60 }
}

pub(super) fn sql_danger(text: &str) -> Option<Class> {
    use Category::Destructive as D;
    let l = text.to_ascii_lowercase();
    let norm: String = l.split_whitespace().collect::<Vec<_>>().join(" ");
    if [
        "drop database",
        "drop schema",
        "drop table",
        "drop user",
        "truncate table",
        "drop keyspace",
        "dropdatabase()",
        "db.dropdatabase",
        ".drop()",
    ]
    .iter()
    .any(|m| norm.contains(m))
    {
        return Some((D, "sql_drop", 85));
    }
    if norm.contains("flushall") || norm.contains("flushdb") {
        return Some((D, "datastore_flushed", 80));
    }
    if let Some(i) = norm.find("delete from") {
        let rest = norm.get(i..).unwrap_or_default();
        let stmt = rest.split(';').next().unwrap_or_default();
        if !stmt.contains(" where ") {
            return Some((D, "sql_delete_all", 75));
        }
    }
    if norm.starts_with("truncate ") || norm.contains("; truncate ") {
        return Some((D, "sql_drop", 80));
    }
    None
}

/// Whether a substitution in `w` downloads to stdout (`$(curl …)`, `<(wget -qO- …)`).
pub(super) fn substitution_downloads(w: &Word) -> bool {
    w.subs.iter().any(script_downloads)
}

pub(super) fn script_downloads(s: &Script) -> bool {
    s.simples().iter().any(|sc| {
        let c = resolve(sc);
        DOWNLOADERS.contains(&c.name.as_str()) && {
            let outs = opt_values(&c.args, &['o', 'O'], &["output", "output-document"], "dFTXHuAexbcKmwrECUYyzQtP");
            outs.iter().all(|(_, v)| v == "-") && !(c.name == "curl" && c.has_flag('O', "remote-name"))
                || c.name == "wget" && c.arg_texts().any(|t| t == "-O-" || t == "-qO-")
        }
    })
}

pub(super) fn substitution_decodes(w: &Word) -> bool {
    w.subs.iter().any(|s| {
        s.simples().iter().any(|sc| {
            let c = resolve(sc);
            c.name == "base64" && (c.has_flag('d', "decode") || c.has_flag('D', ""))
        })
    })
}

pub(super) fn script_reads_files(s: &Script) -> bool {
    s.simples().iter().any(|sc| {
        let c = resolve(sc);
        [
            "cat", "base64", "xxd", "head", "tail", "tar", "gzip", "od", "strings", "printenv", "env", "whoami", "id",
            "hostname", "uname",
        ]
        .contains(&c.name.as_str())
            || c.args.iter().any(|w| paths::is_sensitive(&w.text))
    })
}

pub(super) fn decode_b64(t: &str) -> Option<Vec<u8>> {
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if t.len() < 8 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b)) {
        return None;
    }
    let std = base64::engine::general_purpose::STANDARD;
    let nopad = base64::engine::general_purpose::STANDARD_NO_PAD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    std.decode(&t)
        .or_else(|_| nopad.decode(t.trim_end_matches('=')))
        .or_else(|_| url.decode(t.trim_end_matches('=')))
        .ok()
}

pub(super) fn decode_hex(t: &str) -> Option<Vec<u8>> {
    let t: String = t.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if t.len() < 8 || !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len()).step_by(2).map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// Byte ranges of the contents of '…' and "…" literals in code (escapes are not interpreted).
pub(super) fn string_literals(code: &str) -> Vec<(usize, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\'' || c == b'"' {
            let start = i + 1;
            let mut j = start;
            while let Some(&d) = b.get(j) {
                if d == b'\\' {
                    j += 2;
                    continue;
                }
                if d == c {
                    break;
                }
                j += 1;
            }
            let end = j.min(b.len());
            if end > start && code.is_char_boundary(start) && code.is_char_boundary(end) {
                out.push((start, end));
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

pub(super) fn src_slice(src: &Src, s: usize, e: usize) -> Src {
    src.slice(s, e)
}
