//! What flows through a pipeline: each stage's data flow, and the rules over a whole pipeline (a download piped into a shell, secrets sent to the network, …).

use super::*;

impl Cx {
    pub(super) fn flow(&self, c: &Cmd<'_>) -> Flow {
        let n = c.name.as_str();
        let mut f = Flow::default();
        let has_file_arg = c.positionals().iter().any(|w| !w.text.starts_with('-'));
        if DOWNLOADERS.contains(&n) {
            let out = opt_values(
                &c.args,
                &['o', 'O'],
                &["output", "output-document", "remote-name"],
                "dFTXHuAexbcKmwrECUYyzQtP",
            );
            let to_stdout = match n {
                "wget" | "wget2" => {
                    out.iter().any(|(_, v)| v == "-")
                        || c.arg_texts().any(|t| t == "-O-" || t.ends_with("O-") && t.starts_with('-'))
                }
                _ => {
                    out.iter().all(|(_, v)| v == "-" || v.is_empty())
                        && !c.has_flag('O', "remote-name")
                        && !c.has_flag('\0', "remote-name-all")
                }
            };
            let redirected = c.simple.redirs.iter().any(|r| r.op.writes() && r.fd.is_none_or(|fd| fd == 1));
            f.download_stdout = to_stdout && !redirected;
            f.net_sender =
                n != "wget" || c.arg_texts().any(|t| t.starts_with("--post-file") || t.starts_with("--body-file"));
            if n == "curl" || n == "curlie" {
                f.net_sender = upload_values(c).iter().any(|(_, v, _)| v == "-" || v == ".");
            }
        }
        if n == "base64" && (c.has_flag('d', "decode") || c.has_flag('D', ""))
            || n == "openssl"
                && c.has_arg("-d")
                && c.arg_texts().any(|t| t == "base64" || t == "-base64" || t == "-a" || t == "enc")
            || n == "xxd" && c.has_flag('r', "")
            || n == "base32" && c.has_flag('d', "decode")
            || n == "uudecode"
            || n == "rev"
        {
            f.decode = true;
        }
        if RAW_NET.contains(&n) || n == "openssl" && c.has_arg("s_client") {
            f.raw_net = true;
            f.net_sender = true;
        }
        if ["mail", "mailx", "sendmail", "mutt", "swaks", "rclone"].contains(&n) && (n != "rclone" || c.has_arg("rcat"))
        {
            f.net_sender = true;
        }
        if n == "ssh" && !c.positionals().is_empty() {
            f.net_sender = true;
        }
        if (n == "aws" || n == "gsutil") && c.args.iter().any(|w| w.text == "-") {
            f.net_sender = true;
        }
        if c.xargs && ["dig", "nslookup", "host", "ping", "drill", "curl", "wget"].contains(&n) {
            f.dns_via_xargs = true;
        }
        if is_interpreter(n) {
            let code_flag = c.arg_texts().any(|t| {
                ["-c", "-e", "-E", "-r", "--eval", "-p", "-Command", "-EncodedCommand", "-enc"].contains(&t)
                    || t.starts_with("-c")
                        && SHELLS.contains(&n)
                        && t.len() > 2
                        && t.bytes().skip(1).all(|b| b.is_ascii_alphabetic())
                        && t.contains('c')
            });
            let module = c.has_arg("-m");
            let script_arg = c.positionals().iter().any(|w| w.text != "-" && !w.text.starts_with('-'));
            f.stdin_interpreter = !code_flag && !module && (!script_arg || c.has_arg("-") || c.has_flag('s', ""));
            f.shell_stage = SHELLS.contains(&n) && !code_flag;
        }
        if ["printenv", "env", "set", "export", "declare", "typeset", "compgen"].contains(&n) {
            let dump = match n {
                "printenv" => c.args.is_empty(),
                "env" => c.word.is_none() && c.args.is_empty(),
                "set" => c.args.is_empty(),
                "export" | "declare" | "typeset" => {
                    c.args.iter().all(|w| w.text == "-p" || w.text == "-x" || w.text == "-px")
                }
                _ => c.has_arg("-v") || c.has_arg("-e"),
            };
            f.env_dump = dump;
        }
        if ["gcloud", "az", "gh", "aws", "kubectl", "vault"].contains(&n) && token_print(c).is_some() {
            f.token_print = true;
        }
        let readers = [
            "cat",
            "tac",
            "head",
            "tail",
            "less",
            "more",
            "strings",
            "xxd",
            "od",
            "hexdump",
            "base64",
            "base32",
            "gzip",
            "bzip2",
            "xz",
            "zstd",
            "tar",
            "zip",
            "7z",
            "gpg",
            "openssl",
            "dd",
            "cpio",
            "find",
            "grep",
            "awk",
            "sed",
            "sqlite3",
            "pg_dump",
            "mysqldump",
            "history",
            "ls",
            "ps",
            "jq",
        ];
        if readers.contains(&n) && has_file_arg || c.simple.redirs.iter().any(|r| r.op == RedirOp::In) {
            f.file_read = true;
        }
        if [
            "tar",
            "zip",
            "7z",
            "base64",
            "base32",
            "xxd",
            "od",
            "hexdump",
            "gzip",
            "bzip2",
            "xz",
            "zstd",
            "gpg",
            "cpio",
            "pg_dump",
            "mysqldump",
            "mongodump",
        ]
        .contains(&n)
            || n == "openssl" && c.has_arg("enc")
        {
            f.archive_or_encode = true;
        }
        if ["echo", "printf"].contains(&n)
            || c.simple.redirs.iter().any(|r| matches!(r.op, RedirOp::HereDoc | RedirOp::HereString)) && n == "cat"
        {
            f.literal = true;
        }
        f.sensitive_read = self.reads_sensitive(c);
        if [
            "psql",
            "mysql",
            "mariadb",
            "sqlite3",
            "sqlcmd",
            "clickhouse-client",
            "cockroach",
            "mongo",
            "mongosh",
            "redis-cli",
        ]
        .contains(&n)
        {
            f.db_client = true;
        }
        if n == "crontab" && (c.args.is_empty() || c.has_arg("-")) {
            f.crontab_stdin = true;
        }
        f
    }

    pub(super) fn reads_sensitive(&self, c: &Cmd<'_>) -> bool {
        let from_args = !NON_READERS.contains(&c.name.as_str())
            && c.args.iter().any(|w| arg_paths(&w.text).iter().any(|p| paths::is_sensitive(p)));
        let from_redirs = c
            .simple
            .redirs
            .iter()
            .any(|r| r.op.reads() && r.target.as_ref().is_some_and(|t| paths::is_sensitive(&t.text)));
        from_args || from_redirs
    }

    /// Text written by an upstream `echo`/`printf` (for content checks of files it ends up in).
    pub(super) fn upstream_literal(upstream: &[&(Cmd<'_>, Flow)]) -> String {
        upstream
            .iter()
            .filter(|(c, _)| c.name == "echo" || c.name == "printf")
            .flat_map(|(c, _)| c.args.iter().map(|w| w.text.clone()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(super) fn pipeline_rules(&mut self, stages: &[Vec<(Cmd<'_>, Flow)>], depth: usize) {
        use Category::*;
        let span_of = |i: usize| -> Option<Span> {
            let st = stages.get(i)?;
            let s = st.first()?.0.span();
            let e = st.last()?.0.span();
            Some(Span::new(s.start, e.end))
        };
        let join = |a: usize, b: usize| -> Span {
            match (span_of(a), span_of(b)) {
                (Some(x), Some(y)) => Span::new(x.start.min(y.start), x.end.max(y.end)),
                (Some(x), None) | (None, Some(x)) => x,
                _ => Span::default(),
            }
        };
        let any = |i: usize, f: &dyn Fn(&Flow) -> bool| stages.get(i).is_some_and(|st| st.iter().any(|(_, fl)| f(fl)));
        let n = stages.len();
        for j in 0..n {
            for i in 0..j {
                if any(j, &|f| f.stdin_interpreter) {
                    if any(i, &|f| f.download_stdout) {
                        self.add((DownloadExecute, "download_piped_to_interpreter", 90), join(i, j));
                    }
                    if any(i, &|f| f.decode) {
                        self.add((DefenseEvasion, "decoded_payload_executed", 55), join(i, j));
                    }
                    if any(i, &|f| f.raw_net) && any(j, &|f| f.shell_stage) {
                        self.add((RemoteShell, "network_input_to_shell", 90), join(i, j));
                    }
                }
                if any(i, &|f| f.shell_stage || f.stdin_interpreter)
                    && any(j, &|f| f.raw_net)
                    && stages.get(i).is_some_and(|st| st.iter().any(|(c, _)| SHELLS.contains(&c.name.as_str())))
                {
                    self.add((RemoteShell, "shell_output_to_network", 90), join(i, j));
                }
                if any(j, &|f| f.net_sender || f.dns_via_xargs) {
                    let sender_raw = any(j, &|f| f.raw_net || f.dns_via_xargs);
                    if any(i, &|f| f.env_dump) {
                        self.add((CredentialAccess, "environment_dump_to_network", 85), join(i, j));
                        self.add((Exfiltration, "environment_exfiltration", 85), join(i, j));
                    } else if any(i, &|f| f.sensitive_read) {
                        self.add((Exfiltration, "sensitive_data_to_network", 90), join(i, j));
                    } else if any(i, &|f| f.token_print) {
                        self.add((CredentialAccess, "token_to_network", 85), join(i, j));
                        self.add((Exfiltration, "token_exfiltration", 80), join(i, j));
                    } else if any(i, &|f| f.archive_or_encode) {
                        self.add((Exfiltration, "archive_to_network", 70), join(i, j));
                    } else if any(i, &|f| f.file_read) {
                        let score = if sender_raw { 70 } else { 45 };
                        self.add((Exfiltration, "file_to_network", score), join(i, j));
                    }
                }
                if any(j, &|f| f.crontab_stdin) {
                    self.add((Persistence, "crontab_from_pipeline", 80), join(i, j));
                }
                if any(j, &|f| f.db_client) && any(i, &|f| f.literal) {
                    let text = Self::upstream_literal(
                        &stages.get(i).map(|st| st.iter().collect::<Vec<_>>()).unwrap_or_default(),
                    );
                    if let Some(c) = sql_danger(&text) {
                        self.add(c, join(i, j));
                    }
                }
                if any(j, &|f| f.stdin_interpreter) && any(i, &|f| f.literal) {
                    // `echo 'cmd' | sh`: analyse what is echoed as code.
                    if let Some(st) = stages.get(i) {
                        for (c, _) in st.iter().filter(|(c, _)| c.name == "echo" || c.name == "printf") {
                            let interp =
                                stages.get(j).and_then(|s| s.first()).map(|(c, _)| c.name.clone()).unwrap_or_default();
                            self.literal_args_as_code(c, &interp, depth);
                        }
                    }
                }
            }
        }
        // Base64 / hex payloads decoded anywhere in the pipeline are analysed as code.
        for j in 0..n {
            if !any(j, &|f| f.decode) {
                continue;
            }
            let hex = stages.get(j).is_some_and(|st| st.iter().any(|(c, _)| c.name == "xxd"));
            let runner =
                stages.iter().skip(j + 1).flatten().find(|(_, f)| f.stdin_interpreter).map(|(c, _)| c.name.clone());
            // Decoded but not run: still analysed, but only as a hint.
            let cap = if runner.is_some() || self.exec_context { None } else { Some(40) };
            let interp = runner.unwrap_or_else(|| "sh".to_owned());
            self.capped(cap, |cx| {
                for (i, st) in stages.iter().enumerate().take(j + 1) {
                    for (c, _) in st {
                        if i < j && (c.name == "echo" || c.name == "printf" || c.name == "cat") {
                            for w in &c.args {
                                cx.decode_literal(w, hex, &interp, depth);
                            }
                        }
                        for r in &c.simple.redirs {
                            if let Some(b) =
                                r.body.as_ref().or(if r.op == RedirOp::HereString { r.target.as_ref() } else { None })
                            {
                                cx.decode_literal(b, hex, &interp, depth);
                            }
                        }
                    }
                }
            });
        }
    }
}
