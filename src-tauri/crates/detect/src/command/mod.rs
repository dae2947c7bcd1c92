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
    crate::urls::classify_url(url).into_iter().map(|c| finding(c, Span::new(0, url.len()))).collect()
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

mod code;
mod effects;
mod flow;
mod helpers;
mod network;
mod programs;
mod simple;

use helpers::*;

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
}

#[cfg(test)]
mod tests;
