//! Code given to interpreters (`python -c`, `perl -e`, `node -e`, decoded payloads): analysed as the language it is.

use super::*;

impl Cx {
    pub(super) fn literal_args_as_code(&mut self, c: &Cmd<'_>, interp: &str, depth: usize) {
        let args: Vec<&Word> =
            c.args.iter().copied().filter(|w| !(w.text.starts_with('-') && w.text.len() <= 3)).collect();
        match args.as_slice() {
            [one] => self.code(interp, one, depth + 1, c),
            [first, .., last] => {
                let text = args.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
                let text = if c.name == "printf" { text.replace("\\n", "\n") } else { text };
                let src = Src::opaque(text, Span::new(first.span.start, last.span.end));
                self.code_src(interp, &src, depth + 1, c);
            }
            [] => {}
        }
    }

    /// Decodes a base64 (or hex) literal and analyses the payload as `interp` code.
    pub(super) fn decode_literal(&mut self, w: &Word, hex: bool, interp: &str, depth: usize) {
        let t = w.text.trim();
        if t.len() < 8 || depth >= MAX_DEPTH {
            return;
        }
        let bytes = if hex { decode_hex(t) } else { decode_b64(t) };
        let Some(text) = bytes.and_then(|b| String::from_utf8(b).ok()) else { return };
        let src = Src::opaque(text, w.span);
        let dummy = Simple::default();
        let c = resolve(&dummy);
        self.code_src(interp, &src, depth + 1, &c);
    }

    /// Analyses inline code in `w` for the interpreter `interp`.
    pub(super) fn code(&mut self, interp: &str, w: &Word, depth: usize, c: &Cmd<'_>) {
        let src = w.as_src();
        self.code_src(interp, &src, depth, c);
    }

    pub(super) fn code_src(&mut self, interp: &str, src: &Src, depth: usize, c: &Cmd<'_>) {
        if SHELLS.contains(&interp) || interp == "eval" || interp == "su" || interp.is_empty() {
            self.source(src, depth);
        } else {
            self.script_code(src, depth, c);
        }
    }

    /// Inline code of python, perl, ruby, php, node, awk, lua, powershell.
    pub(super) fn script_code(&mut self, src: &Src, depth: usize, c: &Cmd<'_>) {
        use Category::*;
        let code = src.text.as_str();
        let lc = code.to_ascii_lowercase();
        let whole = src.orig(0, code.len());
        let has = |ms: &[&str]| ms.iter().any(|m| lc.contains(m));
        let socket = has(&[
            "socket",
            "fsockopen",
            "stream_socket_client",
            "require('net')",
            "require(\"net\")",
            "net.connect",
            "io::socket",
            "/inet/tcp",
            "/inet/udp",
            "tcpclient",
            "new-object net.sockets",
        ]);
        let spawn = has(&[
            "subprocess",
            "pty.spawn",
            "os.dup2",
            "/bin/sh",
            "/bin/bash",
            "\"sh\"",
            "'sh'",
            "\"bash\"",
            "'bash'",
            "exec(",
            "exec ",
            "system(",
            "popen",
            "proc_open",
            "shell_exec",
            "passthru",
            "spawn(",
            "child_process",
            "cmd.exe",
            "getline",
            "iex",
            "invoke-expression",
        ]);
        if socket && spawn {
            self.add((RemoteShell, "script_reverse_shell", 95), whole);
        }
        let fetch = has(&[
            "urllib",
            "urlopen",
            "requests.get",
            "requests.post",
            "http.client",
            "lwp::",
            "get(\"http",
            "get('http",
            "open-uri",
            "uri.open",
            "net::http",
            "file_get_contents(\"http",
            "file_get_contents('http",
            "https.get",
            "http.get",
            "fetch(",
            "curl_exec",
            "downloadstring",
            "webclient",
            "invoke-webrequest",
            "iwr ",
            "wget ",
            "curl ",
        ]);
        let exec = has(&[
            "exec(",
            "eval(",
            "eval ",
            "os.system",
            "subprocess",
            "system(",
            "iex",
            "invoke-expression",
            "compile(",
            "instance_eval",
            "new function(",
            "include(",
            "require(\"http",
            "shell_exec",
            "passthru",
            "| sh",
            "|sh",
            "| bash",
            "|bash",
        ]);
        if fetch && exec {
            self.add((DownloadExecute, "script_download_execute", 90), whole);
        }
        if has(&[
            "fork while fork",
            "fork() while",
            "while 1: os.fork",
            "while true: os.fork",
            "while(1){fork",
            "while(true){fork",
        ]) || (lc.contains("os.fork()") && lc.contains("while"))
        {
            self.add((Destructive, "fork_bomb", 90), whole);
        }
        if has(&["os.setuid(0)", "setuid(0)", "posix::setuid(0)", "$<=0", "$< = 0", "process.setuid(0)"]) {
            self.add((PrivilegeEscalation, "setuid_root_in_code", 80), whole);
        }
        if c.sudo && spawn && has(&["/bin/sh", "/bin/bash", "\"sh\"", "'sh'", "pty.spawn", "\"bash\"", "'bash'"]) {
            self.add((PrivilegeEscalation, "sudo_shell_escape", 80), whole);
        }
        if lc.contains("b64decode")
            || lc.contains("base64_decode")
            || lc.contains("frombase64string")
            || lc.contains("decode_base64")
            || lc.contains("atob(")
        {
            self.add((DefenseEvasion, "obfuscated_code", 45), whole);
        }
        // String literals: sensitive paths, and shell commands handed to system()/exec()/popen().
        for (s, e) in string_literals(code) {
            let lit = code.get(s..e).unwrap_or_default();
            let lit_span = src.orig(s, e);
            if let Some(cl) = paths::classify_read(lit) {
                let opened_for_write = code
                    .get(e..)
                    .unwrap_or_default()
                    .trim_start()
                    .trim_start_matches([',', ' '])
                    .starts_with(['\'', '"'])
                    && code.get(e..e + 8).unwrap_or_default().contains('w');
                if !opened_for_write {
                    self.add(cl, lit_span);
                }
            }
            if let Some(cl) = paths::classify_write(lit) {
                let after = code.get(e..(e + 12).min(code.len())).unwrap_or_default();
                if after.contains("'a'")
                    || after.contains("\"a\"")
                    || after.contains("'w'")
                    || after.contains("\"w\"")
                    || after.contains(">>")
                {
                    self.add(cl, lit_span);
                }
            }
            let before = code.get(s.saturating_sub(24)..s.saturating_sub(1)).unwrap_or_default().to_ascii_lowercase();
            let shellish = [
                "system(",
                "popen(",
                "exec(",
                "call(",
                "run(",
                "check_output(",
                "spawn(",
                "shell_exec(",
                "passthru(",
                "exec ",
                "system ",
                "`",
                "qx(",
            ]
            .iter()
            .any(|m| before.contains(m));
            if shellish && lit.contains(' ') || lit.starts_with("/bin/") && lit.contains(' ') {
                let sub = src_slice(src, s, e);
                self.source(&sub, depth + 1);
            }
            if (lc.contains("b64decode") || lc.contains("base64"))
                && lit.len() >= 12
                && let Some(text) = decode_b64(lit).and_then(|b| String::from_utf8(b).ok())
            {
                let sub = Src::opaque(text, lit_span);
                self.source(&sub, depth + 1);
                self.script_code(&sub, depth + 1, c);
            }
            if (lit.contains("rm -rf") || lc.contains("rmtree") || lc.contains("os.remove") || lc.contains("unlink"))
                && paths::critical_delete_target(lit).is_some_and(|s| s >= 80)
            {
                self.add((Destructive, "recursive_delete_in_code", 85), lit_span);
            }
        }
    }
}
