//! What a file path means for security: credential stores, startup files, logs, devices. Shared by
//! [`crate::analyse_path`] and the command rules (URLs: [`crate::urls`]).

use crate::command::Category;

/// One classification: category, rule name, score.
pub(crate) type Class = (Category, &'static str, u8);

/// Lower-cases `path` and rewrites the home directory (`~`, `$HOME`, `${HOME}`, `/home/<u>`, `/Users/<u>`,
/// `/root`) to `~`, drops `./` and doubled slashes.
pub(crate) fn normalise(path: &str) -> String {
    let p = path.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    let mut p = p.as_str().to_owned();
    for home in ["${home}", "$home", "%userprofile%"] {
        if let Some(rest) = p.strip_prefix(home) {
            p = format!("~{rest}");
        }
    }
    for base in ["/home/", "/users/"] {
        if let Some(rest) = p.strip_prefix(base) {
            let after = rest.find('/').map_or("", |i| rest.get(i..).unwrap_or_default());
            p = format!("~{after}");
        }
    }
    if p == "/root" || p.starts_with("/root/") {
        p = format!("~{}", p.get(5..).unwrap_or_default());
    }
    while p.contains("//") {
        p = p.replace("//", "/");
    }
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_owned();
    }
    p.replace("/./", "/")
}

fn home_rel(p: &str) -> Option<&str> {
    p.strip_prefix("~/").or_else(|| (p == "~").then_some(""))
}

pub(crate) fn basename(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

fn under(p: &str, dir: &str) -> bool {
    p == dir || p.strip_prefix(dir).is_some_and(|r| r.starts_with('/') || dir.ends_with('/'))
}

const CREDENTIAL_FILES: &[&str] = &[
    ".netrc",
    "_netrc",
    ".git-credentials",
    ".pgpass",
    ".my.cnf",
    ".npmrc",
    ".pypirc",
    ".docker/config.json",
    ".vault-token",
    ".config/gh/hosts.yml",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".terraform.d/credentials.tfrc.json",
    ".config/hub",
    ".s3cfg",
    ".boto",
    ".databrickscfg",
    ".config/rclone/rclone.conf",
    ".oci/config",
    ".config/doctl/config.yaml",
    ".composer/auth.json",
    ".gem/credentials",
    ".m2/settings.xml",
    ".gradle/gradle.properties",
    ".config/hcloud/cli.toml",
];

const BROWSERS: &[&str] = &["chrome", "chromium", "brave", "edge", "opera", "vivaldi", "firefox", "mozilla"];

/// A read of `path` that exposes credentials.
pub(crate) fn classify_read(path: &str) -> Option<Class> {
    use Category::CredentialAccess as C;
    let p = normalise(path);
    let base = basename(&p);
    if let Some(h) = home_rel(&p) {
        if h == ".ssh" || h == ".ssh/" || h == ".ssh/*" {
            return Some((C, "ssh_directory_read", 75));
        }
        if let Some(f) = h.strip_prefix(".ssh/") {
            if f.starts_with("id_") && !f.ends_with(".pub") {
                return Some((C, "ssh_private_key_read", 85));
            }
            if f.ends_with(".pem") || f.ends_with(".key") {
                return Some((C, "ssh_private_key_read", 80));
            }
        }
        if h == ".aws/credentials" {
            return Some((C, "aws_credentials_read", 85));
        }
        if h == ".aws" || h == ".aws/" || h == ".aws/*" {
            return Some((C, "aws_credentials_read", 75));
        }
        if CREDENTIAL_FILES.contains(&h) {
            return Some((C, "credential_file_read", 75));
        }
        if h == ".kube/config" || h.starts_with(".kube/config") {
            return Some((C, "kubeconfig_read", 75));
        }
        if let Some(f) = h.strip_prefix(".config/gcloud/")
            && ["credentials.db", "access_tokens.db", "application_default_credentials.json", "legacy_credentials"]
                .iter()
                .any(|n| f.starts_with(n))
        {
            return Some((C, "cloud_token_file_read", 85));
        }
        if h == ".config/gcloud" || h == ".azure" || h == ".config/gcloud/" || h == ".azure/" {
            return Some((C, "cloud_token_file_read", 70));
        }
        if let Some(f) = h.strip_prefix(".azure/")
            && (f.contains("token") || f.contains("service_principal") || f == "azureprofile.json")
        {
            return Some((C, "cloud_token_file_read", 85));
        }
        if h.starts_with(".gnupg")
            && (h.contains("private-keys") || h.contains("secring") || h == ".gnupg" || h == ".gnupg/")
        {
            return Some((C, "gpg_private_keys_read", 75));
        }
        if [
            ".bash_history",
            ".zsh_history",
            ".history",
            ".mysql_history",
            ".psql_history",
            ".python_history",
            ".node_repl_history",
            ".sh_history",
        ]
        .contains(&h)
        {
            return Some((C, "shell_history_read", 55));
        }
        if h.starts_with("library/keychains") {
            return Some((C, "keychain_file_read", 85));
        }
        if h.starts_with(".electrum") || h.starts_with(".ethereum/keystore") || h.contains("exodus") {
            return Some((C, "crypto_wallet_read", 75));
        }
    }
    if ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/master.passwd", "/etc/security/opasswd"]
        .contains(&p.as_str())
    {
        return Some((C, "shadow_file_read", 90));
    }
    if p.starts_with("/etc/ssh/ssh_host_") && !p.ends_with(".pub") {
        return Some((C, "ssh_host_key_read", 85));
    }
    if p.starts_with("/etc/ssl/private") {
        return Some((C, "private_key_file_read", 75));
    }
    if p.contains("/secrets/kubernetes.io/serviceaccount") {
        return Some((C, "service_account_token_read", 80));
    }
    if p.starts_with("/proc/") && (p.ends_with("/environ") || p.ends_with("/mem") || p.ends_with("/maps"))
        || p == "/proc/kcore"
        || p == "/dev/mem"
    {
        return Some((C, "process_memory_read", 70));
    }
    if base == ".env"
        || base.starts_with(".env.")
            && !["example", "sample", "template", "dist", "defaults", "default", "tmpl"]
                .iter()
                .any(|s| base.ends_with(s))
    {
        return Some((C, "dotenv_read", 65));
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_rsa*", "id_*"].contains(&base) {
        return Some((C, "ssh_private_key_read", 80));
    }
    if base == "login data"
        || base == "logins.json"
        || base == "key4.db"
        || base == "key3.db"
        || base == "signons.sqlite"
        || base == "cookies.sqlite"
        || base == "local state"
        || base == "web data"
        || base == "cookies" && BROWSERS.iter().any(|b| p.contains(b))
    {
        return Some((C, "browser_credential_store_read", 85));
    }
    if base.ends_with(".keychain") || base.ends_with(".keychain-db") {
        return Some((C, "keychain_file_read", 85));
    }
    if base == "privkey.pem" || base.ends_with(".kdbx") || base.ends_with(".ppk") || base == "wallet.dat" {
        return Some((C, "private_key_file_read", 70));
    }
    if ["credentials.json", "service-account.json", "service_account.json", "client_secret.json"].contains(&base)
        || base.starts_with("client_secret") && base.ends_with(".json")
    {
        return Some((C, "credential_file_read", 65));
    }
    None
}

/// Whether `path` names a credential store or key (used to raise exfiltration scores).
pub(crate) fn is_sensitive(path: &str) -> bool {
    classify_read(path).is_some()
}

const SHELL_STARTUP: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".config/fish/config.fish",
    ".xinitrc",
    ".xprofile",
    ".xsession",
    ".ssh/rc",
    ".kshrc",
    ".cshrc",
    ".tcshrc",
];

/// A write to (or creation, truncation, replacement of) `path` that matters.
pub(crate) fn classify_write(path: &str) -> Option<Class> {
    use Category::*;
    let p = normalise(path);
    let base = basename(&p);
    if let Some(h) = home_rel(&p) {
        if SHELL_STARTUP.contains(&h) {
            return Some((Persistence, "shell_startup_file_write", 60));
        }
        if h.starts_with(".config/autostart") {
            return Some((Persistence, "xdg_autostart_write", 75));
        }
        if h.starts_with("library/launchagents") {
            return Some((Persistence, "launchd_plist_write", 80));
        }
        if h.starts_with(".config/systemd/user") {
            return Some((Persistence, "systemd_unit_write", 75));
        }
        if h == ".ssh/config" {
            return Some((Persistence, "ssh_config_write", 50));
        }
        if [".bash_history", ".zsh_history", ".history", ".sh_history", ".mysql_history", ".psql_history"].contains(&h)
        {
            return Some((DefenseEvasion, "history_file_tampering", 70));
        }
    }
    if base == "authorized_keys" || base == "authorized_keys2" {
        return Some((Persistence, "authorized_keys_write", 85));
    }
    if [
        "/etc/profile",
        "/etc/bash.bashrc",
        "/etc/bashrc",
        "/etc/zshrc",
        "/etc/zsh/zshrc",
        "/etc/environment",
        "/etc/zsh/zshenv",
        "/etc/zprofile",
    ]
    .contains(&p.as_str())
        || under(&p, "/etc/profile.d")
    {
        return Some((Persistence, "shell_startup_file_write", 70));
    }
    if p == "/etc/crontab"
        || under(&p, "/etc/cron.d")
        || p.starts_with("/etc/cron.")
        || under(&p, "/var/spool/cron")
        || p.starts_with("/var/spool/cron")
    {
        return Some((Persistence, "cron_file_write", 80));
    }
    if [
        "/etc/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/run/systemd/system",
        "/etc/systemd/user",
    ]
    .iter()
    .any(|d| under(&p, d))
    {
        return Some((Persistence, "systemd_unit_write", 75));
    }
    if under(&p, "/library/launchagents") || under(&p, "/library/launchdaemons") {
        return Some((Persistence, "launchd_plist_write", 80));
    }
    if p == "/etc/rc.local"
        || under(&p, "/etc/init.d")
        || p.starts_with("/etc/rc") && p.contains(".d/")
        || under(&p, "/etc/update-motd.d")
    {
        return Some((Persistence, "init_script_write", 75));
    }
    if p == "/etc/ld.so.preload" {
        return Some((Persistence, "ld_preload_write", 90));
    }
    if under(&p, "/etc/pam.d") || base.starts_with("pam_") && base.ends_with(".so") {
        return Some((Persistence, "pam_module_write", 80));
    }
    if p.contains(".git/hooks/") {
        return Some((Persistence, "git_hook_write", 45));
    }
    if p == "/etc/sudoers" || under(&p, "/etc/sudoers.d") {
        return Some((PrivilegeEscalation, "sudoers_write", 85));
    }
    if ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"].contains(&p.as_str()) {
        return Some((PrivilegeEscalation, "account_database_write", 85));
    }
    if is_block_device(&p) {
        return Some((Destructive, "block_device_write", 95));
    }
    if under(&p, "/boot") {
        return Some((Destructive, "boot_files_write", 80));
    }
    if under(&p, "/var/log") || ["wtmp", "btmp", "lastlog", "utmp"].contains(&base) || under(&p, "/var/adm") {
        return Some((DefenseEvasion, "log_tampering", 70));
    }
    if p == "/etc/selinux/config" || under(&p, "/etc/audit") || under(&p, "/etc/apparmor.d") {
        return Some((DefenseEvasion, "security_config_write", 70));
    }
    if p == "/etc/hosts" || p == "/etc/resolv.conf" {
        return Some((DefenseEvasion, "name_resolution_tampering", 50));
    }
    if p.starts_with("/proc/sys/kernel/") {
        return Some((DefenseEvasion, "kernel_hardening_change", 65));
    }
    if ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib", "/usr/lib", "/lib64"].iter().any(|d| under(&p, d)) {
        return Some((Persistence, "system_binary_write", 55));
    }
    None
}

pub(crate) fn is_block_device(p: &str) -> bool {
    let Some(dev) = p.strip_prefix("/dev/") else { return false };
    ["sd", "hd", "vd", "xvd", "nvme", "mmcblk", "disk", "mapper/", "md", "dm-", "loop", "rdisk"]
        .iter()
        .any(|d| dev.starts_with(d))
}

/// System locations whose loss breaks the machine or the user's data.
pub(crate) fn critical_delete_target(path: &str) -> Option<u8> {
    let n = normalise(path);
    let root = n.starts_with('/') && n.trim_end_matches(['/', '*']).is_empty();
    let p = n.trim_end_matches("/*").trim_end_matches('*');
    let t = p.trim_end_matches('/');
    if root || t == "~" || t == "c:" || t == "c:\\" {
        return Some(95);
    }
    const SYSTEM: &[&str] = &[
        "/etc",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/boot",
        "/var",
        "/home",
        "/opt",
        "/srv",
        "/dev",
        "/proc",
        "/sys",
        "/system",
        "/library",
        "/applications",
        "/users",
        "/private",
        "/snap",
        "/mnt",
        "/media",
    ];
    if SYSTEM.contains(&t) {
        return Some(95);
    }
    // Caches and package lists are rebuilt (`rm -rf /var/lib/apt/lists/*` in a Dockerfile).
    let disposable = ["/var/tmp", "/var/log", "/var/cache", "/var/lib/apt/lists"].iter().any(|d| under(t, d))
        || t.split('/').any(|seg| seg == "cache" || seg == ".cache" || seg == "tmp" || seg == "caches");
    if SYSTEM.iter().any(|d| under(t, d)) && !disposable {
        return Some(80);
    }
    if let Some(h) = home_rel(t) {
        let top = h.split('/').next().unwrap_or_default();
        if [
            "documents",
            "desktop",
            "downloads",
            "pictures",
            "music",
            "videos",
            ".ssh",
            ".config",
            ".gnupg",
            ".aws",
            ".local",
            "library",
            "projects",
            "src",
            "code",
            "work",
            "dev",
            "*",
        ]
        .contains(&top)
            && !h.contains('/')
        {
            return Some(80);
        }
    }
    if ["*", ".", "./", "..", "../", ".*", "./*"].contains(&path.trim()) {
        return Some(70);
    }
    if t == ".git" || t.ends_with("/.git") {
        return Some(60);
    }
    None
}

/// Broad locations: searching or uploading these is bulk collection.
pub(crate) fn is_broad_location(path: &str) -> bool {
    let p = normalise(path);
    let t = p.trim_end_matches("/*").trim_end_matches('/');
    if (t.is_empty() && p.starts_with('/'))
        || p == "/*"
        || t == "~"
        || ["/etc", "/home", "/var", "/var/lib", "/opt", "/srv", "/users", "/mnt", "/var/backups"].contains(&t)
    {
        return true;
    }
    if let Some(h) = home_rel(t) {
        let top = h.split('/').next().unwrap_or_default();
        return [
            "documents",
            "desktop",
            "downloads",
            "pictures",
            "projects",
            ".config",
            ".local",
            "library",
            "mail",
            ".thunderbird",
        ]
        .contains(&top);
    }
    let base = basename(t);
    [".sql", ".sql.gz", ".dump", ".sqlite", ".sqlite3", ".db", ".bak", ".kdbx", ".mbox", ".pst"]
        .iter()
        .any(|e| base.ends_with(e))
        || under(t, "/var/lib/mysql")
        || under(t, "/var/lib/postgresql")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_read(path: &str, expect: Option<&str>) {
        assert_eq!(classify_read(path).map(|c| c.1), expect, "{path}");
    }

    fn check_write(path: &str, expect: Option<&str>) {
        assert_eq!(classify_write(path).map(|c| c.1), expect, "{path}");
    }

    #[test]
    fn reads() {
        check_read("~/.ssh/id_rsa", Some("ssh_private_key_read"));
        check_read("/home/bob/.ssh/id_ed25519", Some("ssh_private_key_read"));
        check_read("$HOME/.ssh/id_rsa.pub", None);
        check_read("/etc/shadow", Some("shadow_file_read"));
        check_read(".env", Some("dotenv_read"));
        check_read(".env.example", None);
        check_read("src/main.rs", None);
        check_read("~/.kube/config", Some("kubeconfig_read"));
    }

    #[test]
    fn writes() {
        check_write("~/.bashrc", Some("shell_startup_file_write"));
        check_write("/root/.ssh/authorized_keys", Some("authorized_keys_write"));
        check_write("/etc/sudoers.d/x", Some("sudoers_write"));
        check_write("/dev/sda", Some("block_device_write"));
        check_write("/dev/null", None);
        check_write("target/out.txt", None);
    }

    #[test]
    fn deletes() {
        assert_eq!(critical_delete_target("/"), Some(95));
        assert_eq!(critical_delete_target("~"), Some(95));
        assert_eq!(critical_delete_target("/etc/nginx"), Some(80));
        assert_eq!(critical_delete_target("target"), None);
        assert_eq!(critical_delete_target("node_modules"), None);
        assert_eq!(critical_delete_target("/tmp/build"), None);
    }
}
