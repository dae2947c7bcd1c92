//! What a simple command does beside running its program: variables it assigns, redirections, files its
//! arguments read and files it writes.

use super::*;

impl Cx {
    pub(super) fn assignments(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let mut words: Vec<&Word> = c.assigns.clone();
        if ["export", "declare", "typeset", "readonly", "local"].contains(&c.name.as_str()) {
            words.extend(c.args.iter().copied().filter(|w| shell::is_assignment(&w.text)));
        }
        for w in words {
            let (k, v) = w.text.split_once('=').unwrap_or((&w.text, ""));
            let k = k.trim_end_matches('+');
            match k {
                "HISTFILE" if v.is_empty() || v == "/dev/null" => {
                    self.add((DefenseEvasion, "history_disabled", 70), w.span)
                }
                "HISTSIZE" | "HISTFILESIZE" | "SAVEHIST" if v == "0" || v.is_empty() => {
                    self.add((DefenseEvasion, "history_disabled", 70), w.span)
                }
                "HISTCONTROL" if v.contains("ignorespace") || v.contains("ignoreboth") => {
                    self.add((DefenseEvasion, "history_disabled", 40), w.span)
                }
                "LD_PRELOAD" | "DYLD_INSERT_LIBRARIES" | "LD_LIBRARY_PATH" if k != "LD_LIBRARY_PATH" || c.sudo => {
                    if c.sudo || c.simple.words.first().is_some_and(|w| w.text == "sudo") {
                        self.add((PrivilegeEscalation, "sudo_ld_preload", 80), w.span);
                    } else {
                        self.add((DefenseEvasion, "library_injection", 55), w.span);
                    }
                }
                "PROMPT_COMMAND" if !v.is_empty() => self.add((Persistence, "prompt_command_hook", 55), w.span),
                _ => {}
            }
        }
    }

    /// Redirections of one command (or group): writes to sensitive files, reads of secrets, `/dev/tcp`.
    pub(super) fn redirections(&mut self, c: &Cmd<'_>, depth: usize, upstream_content: Option<&str>) {
        use Category::*;
        let n = c.name.as_str();
        let dup_std = c.simple.redirs.iter().any(|r| {
            matches!(r.op, RedirOp::DupIn | RedirOp::DupOut | RedirOp::InOut | RedirOp::OutErr)
                && (r.fd.is_none_or(|fd| fd <= 2))
        });
        for r in &c.simple.redirs {
            let Some(t) = &r.target else { continue };
            let target = t.text.as_str();
            if target.contains("/dev/tcp/") || target.contains("/dev/udp/") {
                let (_, host) = crate::urls::url_host(
                    target.split("/dev/tcp/").nth(1).or_else(|| target.split("/dev/udp/").nth(1)).unwrap_or_default(),
                );
                let local = host == "localhost" || host.starts_with("127.");
                if SHELLS.contains(&n) && (dup_std || c.has_flag('i', "")) {
                    self.add((RemoteShell, "dev_tcp_reverse_shell", 95), c.span());
                } else if (n == "exec" || c.word.is_none()) && r.op == RedirOp::InOut {
                    self.add((RemoteShell, "dev_tcp_socket", if local { 40 } else { 70 }), c.span());
                } else if r.op.writes() {
                    self.add((Exfiltration, "dev_tcp_send", if local { 40 } else { 80 }), c.span());
                } else {
                    self.add((DownloadExecute, "dev_tcp_receive", 50), c.span());
                }
                continue;
            }
            if r.op.writes()
                && !(r.op == RedirOp::DupOut && target.bytes().all(|b| b.is_ascii_digit() || b == b'-'))
                && let Some(mut cl) = paths::classify_write(target)
            {
                let append = matches!(r.op, RedirOp::Append | RedirOp::AppendErr);
                if cl.0 == DefenseEvasion && append && cl.1 == "log_tampering" {
                    continue;
                }
                if cl.1 == "shell_startup_file_write" {
                    let mut content = c.args.iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" ");
                    for b in c.simple.redirs.iter().filter_map(|r| {
                        r.body.as_ref().or(if r.op == RedirOp::HereString { r.target.as_ref() } else { None })
                    }) {
                        content.push(' ');
                        content.push_str(&b.text);
                    }
                    if let Some(u) = upstream_content {
                        content.push(' ');
                        content.push_str(u);
                    }
                    if !["echo", "printf", "cat", "tee"].contains(&n) && c.word.is_some() {
                        content.push_str(" <unknown>");
                    }
                    cl.2 = startup_content_score(&content);
                    if cl.2 == 0 {
                        continue;
                    }
                }
                self.add(cl, Span::new(r.span.start, t.span.end.max(r.span.start)));
            }
            if r.op.reads()
                && let Some(cl) = paths::classify_read(target)
            {
                self.add(cl, t.span);
            }
            if matches!(r.op, RedirOp::HereDoc | RedirOp::HereString) {
                let body = if r.op == RedirOp::HereDoc { r.body.as_ref() } else { Some(t) };
                if let Some(b) = body
                    && is_interpreter(n)
                    && !c.has_arg("-c")
                {
                    let dummy_interp = if SHELLS.contains(&n) { "sh" } else { n };
                    self.code(dummy_interp, b, depth + 1, c);
                }
            }
        }
    }

    /// Arguments that name credential stores, for commands that read their arguments.
    pub(super) fn args_read(&mut self, c: &Cmd<'_>) {
        // Interpreters' code arguments are analysed as code, not as paths.
        if NON_READERS.contains(&c.name.as_str())
            || c.word.is_none()
            || is_interpreter(&c.name)
            || ["eval", "su", "awk", "gawk"].contains(&c.name.as_str())
        {
            return;
        }
        let dest_excluded = matches!(c.name.as_str(), "cp" | "install" | "rsync" | "ln" | "mv");
        let last = c.positionals().last().copied();
        for w in &c.args {
            if dest_excluded && last.is_some_and(|l| std::ptr::eq(l, *w)) {
                continue;
            }
            for p in arg_paths(&w.text) {
                if let Some(cl) = paths::classify_read(&p) {
                    self.add(cl, w.span);
                }
            }
        }
    }

    pub(super) fn file_writes(&mut self, c: &Cmd<'_>, upstream: &[&(Cmd<'_>, Flow)]) {
        use Category::*;
        let n = c.name.as_str();
        let targets: Vec<&Word> = match n {
            "cp" | "install" | "ln" | "rsync" => {
                let ops = operands(&c.args, "tSmogb", &["target-directory", "suffix", "mode", "owner", "group"]);
                let mut t: Vec<&Word> = ops.last().copied().into_iter().collect();
                if let Some((w, _)) = opt_values(&c.args, &['t'], &["target-directory"], "").first() {
                    t.push(*w);
                }
                if n == "rsync" && t.iter().any(|w| is_remote_path(&w.text)) { Vec::new() } else { t }
            }
            "mv" => c.positionals(),
            "tee" => c.positionals(),
            "sed" | "perl"
                if c.arg_texts().any(|t| t.starts_with("-i") || t == "--in-place" || t.starts_with("-pi")) =>
            {
                let ops = operands(&c.args, "ef", &["expression", "file"]);
                // The first operand is the script unless -e was used.
                if c.has_arg("-e") { ops } else { ops.into_iter().skip(1).collect() }
            }
            _ => Vec::new(),
        };
        if targets.is_empty() {
            return;
        }
        let script_text = c.args.iter().map(|w| w.text.clone()).collect::<Vec<_>>().join(" ");
        for w in targets {
            // A directory destination (`cp x.desktop ~/.config/autostart/`) is classified by its prefix.
            let Some(mut cl) = paths::classify_write(&w.text) else { continue };
            if cl.1 == "shell_startup_file_write" {
                let content = match n {
                    "tee" => {
                        Self::upstream_literal(upstream)
                            + " "
                            + &c.simple
                                .redirs
                                .iter()
                                .filter_map(|r| {
                                    r.target.as_ref().filter(|_| r.op == RedirOp::HereString).or(r.body.as_ref())
                                })
                                .map(|b| b.text.clone())
                                .collect::<Vec<_>>()
                                .join(" ")
                    }
                    "sed" | "perl" => script_text.clone(),
                    _ => "<unknown>".to_owned(),
                };
                cl.2 = startup_content_score(&content);
                if cl.2 == 0 {
                    continue;
                }
            }
            if cl.1 == "security_config_write"
                && (n == "sed" || n == "perl")
                && script_text.to_ascii_lowercase().contains("disabled")
            {
                cl = (DefenseEvasion, "selinux_disabled", 75);
            }
            if cl.1 == "systemd_unit_write" || cl.1 == "launchd_plist_write" {
                self.wrote_service = true;
            }
            self.add(cl, w.span);
        }
    }
}
