//! Rules for programs that reach other machines or data stores: cloud CLIs, `grep` for secrets, downloaders, raw sockets, `ssh`, uploads, databases.

use super::*;

impl Cx {
    pub(super) fn aws(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let pos: Vec<&str> = c.positionals().iter().map(|w| w.text.as_str()).collect();
        let (svc, op) = (pos.first().copied().unwrap_or_default(), pos.get(1).copied().unwrap_or_default());
        match (svc, op) {
            ("s3", "rb") if c.has_arg("--force") => self.add((Destructive, "bucket_destroyed", 75), c.span()),
            ("s3", "rm") if c.has_arg("--recursive") => self.add((Destructive, "bucket_destroyed", 70), c.span()),
            ("s3", "cp" | "sync" | "mv") => self.upload(c),
            ("secretsmanager", "get-secret-value")
            | ("ssm", "get-parameter" | "get-parameters" | "get-parameters-by-path")
                if svc == "secretsmanager" || c.has_arg("--with-decryption") =>
            {
                self.add((CredentialAccess, "cloud_secret_read", 55), c.span());
            }
            ("configure", "get") if pos.get(2).is_some_and(|k| k.contains("secret") || k.contains("key")) => {
                self.add((CredentialAccess, "cloud_credentials_print", 70), c.span())
            }
            ("configure", "export-credentials") => {
                self.add((CredentialAccess, "cloud_credentials_print", 70), c.span())
            }
            ("iam", "create-access-key" | "create-login-profile") => {
                self.add((Persistence, "cloud_credentials_created", 60), c.span())
            }
            ("cloudtrail", "stop-logging" | "delete-trail") | ("guardduty", "delete-detector") => {
                self.add((DefenseEvasion, "cloud_logging_disabled", 80), c.span())
            }
            _ => {}
        }
    }

    pub(super) fn cloud_cli(&mut self, c: &Cmd<'_>) {
        use Category::*;
        if let Some(rule) = token_print(c) {
            self.add((CredentialAccess, rule, 45), c.span());
        }
        let pos: Vec<&str> = c.positionals().iter().map(|w| w.text.as_str()).collect();
        match (c.name.as_str(), pos.as_slice()) {
            ("gcloud", ["projects", "delete", ..])
            | ("az", ["group", "delete", ..])
            | ("gh", ["repo", "delete", ..]) => self.add((Destructive, "cloud_resource_deleted", 75), c.span()),
            ("gcloud", ["secrets", "versions", "access", ..])
            | ("az", ["keyvault", "secret", "show", ..])
            | ("vault", ["kv", "get", ..])
            | ("vault", ["read", ..]) => self.add((CredentialAccess, "cloud_secret_read", 55), c.span()),
            ("gcloud", ["logging", "sinks", "delete", ..]) => {
                self.add((DefenseEvasion, "cloud_logging_disabled", 70), c.span())
            }
            _ => {}
        }
    }

    pub(super) fn grep(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let recursive = c.name == "rg"
            || c.name == "ag"
            || c.name == "ack"
            || c.has_flag('r', "recursive")
            || c.has_flag('R', "dereference-recursive");
        let ops = operands(
            &c.args,
            "efABCmdD",
            &[
                "regexp",
                "file",
                "after-context",
                "before-context",
                "context",
                "max-count",
                "include",
                "exclude",
                "glob",
            ],
        );
        let pattern = opt_values(&c.args, &['e'], &["regexp"], "fABCmdDg")
            .into_iter()
            .map(|(_, v)| v)
            .next()
            .or_else(|| ops.first().map(|w| w.text.clone()))
            .unwrap_or_default();
        let secretish = {
            let p = pattern.to_ascii_lowercase();
            [
                "password",
                "passwd",
                "secret",
                "api_key",
                "apikey",
                "api-key",
                "token",
                "aws_secret",
                "private key",
                "begin rsa",
                "begin openssh",
                "akia",
                "credential",
            ]
            .iter()
            .any(|m| p.contains(m))
        };
        let roots: Vec<&Word> = ops.iter().skip(1).copied().collect();
        let broad = roots.iter().any(|w| paths::is_broad_location(&w.text) || w.text == "/");
        if recursive && secretish && broad {
            self.add((CredentialAccess, "credential_search", 65), c.span());
        }
    }

    pub(super) fn downloader(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let n = c.name.as_str();
        let urls: Vec<&Word> = c
            .args
            .iter()
            .copied()
            .filter(|w| crate::urls::looks_like_url(&w.text) && !w.text.starts_with('@'))
            .collect();
        for w in &urls {
            for cl in crate::urls::classify_url(&w.text) {
                self.add(cl, w.span);
            }
            // Data smuggled out in the URL itself: `?d=$(cat file | base64)`.
            if w.subs.iter().any(script_reads_files) {
                self.add((Exfiltration, "data_in_url", 75), w.span);
            }
        }
        // Uploads.
        let uploads = upload_values(c);
        let catcher = urls.iter().any(|w| crate::urls::classify_url(&w.text).iter().any(|cl| cl.2 >= 55));
        for (w, path, _) in &uploads {
            if path == "-" || path == "." {
                continue;
            }
            let sens = paths::is_sensitive(path) || path.contains("/etc/passwd");
            let score = if sens {
                90
            } else if catcher || paths::is_broad_location(path) {
                75
            } else {
                60
            };
            self.add((Exfiltration, "file_upload", score), Span::new(c.span().start.min(w.span.start), w.span.end));
        }
        if n == "wget" || n == "wget2" {
            for (w, v) in opt_values(&c.args, &[], &["post-file", "body-file"], "") {
                let sens = paths::is_sensitive(&v) || v.contains("/etc/passwd");
                self.add((Exfiltration, "file_upload", if sens { 90 } else { 60 }), w.span);
            }
        }
        // Data arguments that embed file contents by substitution: `-d "$(cat ~/.netrc)"`.
        for (w, _) in opt_values(
            &c.args,
            &['d', 'F'],
            &["data", "data-binary", "data-raw", "data-urlencode", "form", "json", "post-data"],
            "",
        ) {
            if w.subs.iter().any(script_reads_files) {
                self.add((Exfiltration, "file_contents_posted", 75), w.span);
            }
        }
        // Downloads to a file, remembered for `chmod +x` / run later in the script.
        let mut outs: Vec<String> =
            opt_values(&c.args, &['o', 'O'], &["output", "output-document"], "dFTXHuAexbcKmwrECUYyzQtP")
                .into_iter()
                .map(|(_, v)| v)
                .filter(|v| v != "-")
                .collect();
        let remote_name = (n == "curl" && (c.has_flag('O', "remote-name") || c.has_arg("--remote-name-all")))
            || (n == "wget" && opt_values(&c.args, &['O'], &["output-document"], "").is_empty())
            || n == "fetch" && outs.is_empty();
        if remote_name {
            for w in &urls {
                let path = w.text.split(['?', '#']).next().unwrap_or_default();
                let path = path.split_once("://").map_or(path, |(_, r)| r);
                if let Some((_, file)) = path.rsplit_once('/')
                    && !file.is_empty()
                {
                    outs.push(file.to_owned());
                }
            }
        }
        for r in &c.simple.redirs {
            if r.op.writes()
                && r.fd.is_none_or(|fd| fd == 1)
                && let Some(t) = &r.target
            {
                outs.push(t.text.clone());
            }
        }
        for o in outs {
            let p = paths::normalise(&o);
            let b = paths::basename(&p).to_owned();
            self.downloads.push((p, b));
        }
    }

    pub(super) fn raw_net(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let n = c.name.as_str();
        let texts: Vec<String> = c.arg_texts().map(str::to_ascii_lowercase).collect();
        if n == "socat" {
            let exec = texts.iter().any(|t| t.starts_with("exec:") || t.starts_with("system:") || t.contains(",exec:"));
            let net = texts.iter().any(|t| {
                t.starts_with("tcp")
                    || t.starts_with("udp")
                    || t.starts_with("openssl")
                    || t.starts_with("ssl")
                    || t.contains("-listen")
            });
            if exec && net {
                self.add((RemoteShell, "socat_exec", 95), c.span());
            } else if net && texts.iter().any(|t| t.starts_with("file:") || t.starts_with("open:")) {
                self.add((Exfiltration, "socat_file_transfer", 60), c.span());
            }
            return;
        }
        let exec = texts.iter().any(|t| {
            ["-e", "-c", "--exec", "--sh-exec", "--lua-exec"].contains(&t.as_str())
                || t.starts_with("--exec=")
                || t.starts_with("--sh-exec=")
                || (t.starts_with('-') && !t.starts_with("--") && t.ends_with('e') && t.len() <= 6 && t.contains('e'))
        });
        if exec && n != "telnet" {
            self.add((RemoteShell, "netcat_exec", 95), c.span());
            return;
        }
        for r in c.simple.redirs.iter().filter(|r| r.op == RedirOp::In) {
            if let Some(t) = &r.target {
                let sens = paths::is_sensitive(&t.text) || t.text.contains("/etc/passwd");
                self.add((Exfiltration, "netcat_file_send", if sens { 90 } else { 75 }), c.span());
            }
        }
    }

    pub(super) fn ssh(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        let ops = operands(&c.args, "bcDEeFIiJLlmOopQRSWw", &[]);
        let host = ops.first().map(|w| w.text.clone()).unwrap_or_default();
        let (_, h) = crate::urls::url_host(&format!("ssh://{host}"));
        let reverse = opt_values(&c.args, &['R'], &[], "bcDEeFIiJLlmOopQSWw");
        if !reverse.is_empty() {
            let score = if crate::urls::is_tunnel_host(&h) { 80 } else { 60 };
            self.add((RemoteShell, "reverse_tunnel", score), c.span());
        } else if crate::urls::is_tunnel_host(&h) {
            self.add((RemoteShell, "tunnel_service", 70), c.span());
        }
        let rest: Vec<&Word> = ops.iter().skip(1).copied().collect();
        self.inner_command(&rest, depth, c);
        for r in c.simple.redirs.iter().filter(|r| r.op == RedirOp::In) {
            if let Some(t) = &r.target {
                let sens = paths::is_sensitive(&t.text);
                self.add((Exfiltration, "ssh_file_send", if sens { 90 } else { 45 }), c.span());
            }
        }
    }

    /// scp / rsync / rclone / aws s3 cp / gsutil …: local sources to a remote destination.
    pub(super) fn upload(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let mut ops: Vec<&Word> = operands(
            &c.args,
            "PiFoSlcJeB",
            &[
                "exclude",
                "include",
                "rsh",
                "profile",
                "region",
                "storage-class",
                "acl",
                "config",
                "transfers",
                "bwlimit",
                "exclude-from",
                "include-from",
                "filter",
                "port",
            ],
        );
        if c.name == "aws" || c.name == "gsutil" || c.name == "rclone" || c.name == "s3cmd" || c.name == "azcopy" {
            // Skip the subcommand words (`s3 cp`, `cp`, `copy`, `sync`).
            let skip = if c.name == "aws" { 2 } else { 1 };
            ops = ops.into_iter().skip(skip).collect();
        }
        let Some((dest, sources)) = ops.split_last() else { return };
        if !is_remote_path(&dest.text) || sources.is_empty() || sources.iter().all(|w| is_remote_path(&w.text)) {
            return;
        }
        let sens = sources.iter().any(|w| paths::is_sensitive(&w.text));
        let broad = sources.iter().any(|w| paths::is_broad_location(&w.text));
        let (_, host) = crate::urls::url_host(&dest.text);
        let raw_ip = crate::urls::is_public_ip(&host) == Some(true);
        let score = if sens {
            90
        } else if broad {
            70
        } else if raw_ip {
            50
        } else {
            30
        };
        self.add((Exfiltration, "remote_copy", score), c.span());
    }

    pub(super) fn database(&mut self, c: &Cmd<'_>) {
        let sql: Vec<String> =
            opt_values(&c.args, &['c', 'e'], &["command", "execute", "eval", "query"], "hUpdPuWSDEJfFoT")
                .into_iter()
                .map(|(_, v)| v)
                .collect();
        let mut text = sql.join(" ");
        if c.name == "sqlite3" || c.name == "redis-cli" {
            text.push(' ');
            text.push_str(&operands(&c.args, "hpan", &[]).iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" "));
        }
        for r in &c.simple.redirs {
            if let Some(b) = r.body.as_ref().or(if r.op == RedirOp::HereString { r.target.as_ref() } else { None }) {
                text.push(' ');
                text.push_str(&b.text);
            }
        }
        if let Some(cl) = sql_danger(&text) {
            self.add(cl, c.span());
        }
    }
}
