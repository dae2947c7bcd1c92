//! A small tokenizer and parser for POSIX-ish shell, good enough to see what a command line would run.
//!
//! It is not a shell: nothing is expanded, globbed or executed. It understands quoting (single, double, `$'…'`,
//! backslash), the list and pipeline operators, redirections (with file-descriptor prefixes and here-documents),
//! `( … )` subshells, `{ …; }` groups, function definitions, and command / process substitutions, which it parses
//! recursively up to [`MAX_DEPTH`] levels.
//!
//! Every word keeps, for each byte of its unquoted text, the range of the ORIGINAL input it came from ([`Src`]),
//! so that findings on text recovered from quoting, `bash -c '…'` nesting or base64 payloads still point into the
//! string the caller gave us.

use crate::Span;

/// How deep substitutions, `-c` strings and decoded payloads are followed; past this, text is kept but not parsed.
pub(crate) const MAX_DEPTH: usize = 8;
/// How deep `( … )` and `{ …; }` may nest before the parser stops descending (it then skips the bracket).
const MAX_NESTING: usize = 64;

/// Text to parse together with, for each of its bytes, the byte range of the original input it stands for.
#[derive(Debug, Clone)]
pub(crate) struct Src {
    pub(crate) text: String,
    map: Vec<(usize, usize)>,
}

impl Src {
    pub(crate) fn top(text: &str) -> Self {
        Self { text: text.to_owned(), map: (0..text.len()).map(|i| (i, i + 1)).collect() }
    }

    /// A new source whose bytes all stand for one original range (a decoded base64 literal, say).
    pub(crate) fn opaque(text: String, whole: Span) -> Self {
        let map = vec![(whole.start, whole.end); text.len()];
        Self { text, map }
    }

    fn from_parts(text: String, mut map: Vec<(usize, usize)>) -> Self {
        let fill = map.last().copied().unwrap_or((0, 0));
        map.resize(text.len(), fill);
        Self { text, map }
    }

    /// The original span for the byte range `start..end` of this source's text.
    pub(crate) fn orig(&self, start: usize, end: usize) -> Span {
        map_orig(&self.map, start, end)
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> Src {
        let text = self.text.get(start..end).unwrap_or_default().to_owned();
        let map = self.map.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
        Src::from_parts(text, map)
    }
}

fn map_orig(map: &[(usize, usize)], start: usize, end: usize) -> Span {
    let fallback = map.last().map_or(0, |r| r.1);
    if end <= start {
        let p = map.get(start).map_or(fallback, |r| r.0);
        return Span { start: p, end: p };
    }
    let s = map.get(start).map_or(fallback, |r| r.0);
    let e = end.checked_sub(1).and_then(|i| map.get(i)).map_or(fallback, |r| r.1);
    Span { start: s.min(e), end: e.max(s) }
}

/// One shell word after quote removal.
#[derive(Debug, Clone, Default)]
pub(crate) struct Word {
    /// The value with quotes removed; substitutions stay as their raw text (`$(…)`, `` `…` ``, `${…}`).
    pub(crate) text: String,
    map: Vec<(usize, usize)>,
    /// The whole word in the original input.
    pub(crate) span: Span,
    /// Command and process substitutions inside the word, parsed.
    pub(crate) subs: Vec<Script>,
    /// `<(…)` or `>(…)`.
    pub(crate) process_sub: bool,
    /// Any quoting or escaping was used.
    pub(crate) quoted: bool,
}

impl Word {
    /// The word's text as a source to parse again (`bash -c WORD`), with offsets mapped to the original.
    pub(crate) fn as_src(&self) -> Src {
        Src::from_parts(self.text.clone(), self.map.clone())
    }

    /// A source for the byte range `start..end` of the word's text.
    pub(crate) fn sub_src(&self, start: usize, end: usize) -> Src {
        let text = self.text.get(start..end).unwrap_or_default().to_owned();
        let map = self.map.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
        Src::from_parts(text, map)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirOp {
    /// `>`, `>|`
    Out,
    /// `>>`
    Append,
    /// `<`
    In,
    /// `>&` (to a file or a descriptor)
    DupOut,
    /// `<&`
    DupIn,
    /// `&>`, `>&` to a file
    OutErr,
    /// `&>>`
    AppendErr,
    /// `<>`
    InOut,
    /// `<<`, `<<-`
    HereDoc,
    /// `<<<`
    HereString,
}

impl RedirOp {
    pub(crate) fn writes(self) -> bool {
        matches!(self, Self::Out | Self::Append | Self::OutErr | Self::AppendErr | Self::InOut | Self::DupOut)
    }
    pub(crate) fn reads(self) -> bool {
        matches!(self, Self::In | Self::InOut | Self::DupIn)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Redir {
    pub(crate) op: RedirOp,
    pub(crate) fd: Option<u32>,
    pub(crate) target: Option<Word>,
    /// The body of a here-document.
    pub(crate) body: Option<Word>,
    pub(crate) span: Span,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    pub(crate) pipelines: Vec<Pipeline>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Pipeline {
    pub(crate) stages: Vec<Stage>,
    pub(crate) background: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Simple(Simple),
    Group { body: Script, redirs: Vec<Redir> },
    FuncDef { name: String, body: Script, span: Span },
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Simple {
    pub(crate) assigns: Vec<Word>,
    pub(crate) words: Vec<Word>,
    pub(crate) redirs: Vec<Redir>,
    pub(crate) span: Span,
}

impl Script {
    /// Every simple command in the script, in order, including those in groups and function bodies (but not
    /// those inside substitutions, which belong to their words).
    pub(crate) fn simples(&self) -> Vec<&Simple> {
        let mut out = Vec::new();
        let mut stack: Vec<&Script> = vec![self];
        // Depth-first, keeping document order by visiting in a work list of stages.
        while let Some(s) = stack.pop() {
            let mut nested = Vec::new();
            for p in &s.pipelines {
                for st in &p.stages {
                    match st {
                        Stage::Simple(c) => out.push(c),
                        Stage::Group { body, .. } | Stage::FuncDef { body, .. } => nested.push(body),
                    }
                }
            }
            stack.extend(nested.into_iter().rev());
        }
        out
    }
}

impl Stage {
    pub(crate) fn simples(&self) -> Vec<&Simple> {
        match self {
            Stage::Simple(c) => vec![c],
            Stage::Group { body, .. } | Stage::FuncDef { body, .. } => body.simples(),
        }
    }
}

#[derive(Debug, Clone)]
enum Tok {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Semi,
    Newline,
    And,
    Or,
    Pipe,
    Amp,
    LParen,
    RParen,
}

/// Parses `src` as a script. `depth` counts the substitution / `-c` levels above this one.
pub(crate) fn parse(src: &Src, depth: usize) -> Script {
    let toks = Lexer::new(src, depth).run();
    let mut p = Parser { toks: &toks, pos: 0, nesting: 0 };
    p.script(false, false)
}

struct Lexer<'a> {
    src: &'a Src,
    b: &'a [u8],
    i: usize,
    depth: usize,
    toks: Vec<Tok>,
    /// Here-documents waiting for the next newline: (token index, delimiter, strip tabs).
    pending: Vec<(usize, String, bool)>,
}

fn is_meta(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>')
}

/// Where a word is built: its bytes, and for each the original range.
#[derive(Default)]
struct WordBuf {
    bytes: Vec<u8>,
    map: Vec<(usize, usize)>,
    subs: Vec<Script>,
    quoted: bool,
}

impl WordBuf {
    fn push(&mut self, c: u8, r: (usize, usize)) {
        self.bytes.push(c);
        self.map.push(r);
    }
}

impl<'a> Lexer<'a> {
    fn new(src: &'a Src, depth: usize) -> Self {
        Self { src, b: src.text.as_bytes(), i: 0, depth, toks: Vec::new(), pending: Vec::new() }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn r(&self, i: usize) -> (usize, usize) {
        let s = self.src.orig(i, i + 1);
        (s.start, s.end)
    }

    fn run(mut self) -> Vec<Tok> {
        let mut guard = 0usize;
        while let Some(c) = self.at(self.i) {
            guard += 1;
            if guard > self.b.len() * 2 + 16 {
                break;
            }
            let start = self.i;
            match c {
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'\\' if self.at(self.i + 1) == Some(b'\n') => self.i += 2,
                b'#' => {
                    while let Some(c) = self.at(self.i) {
                        if c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                b'\n' => {
                    self.i += 1;
                    self.op(Op::Newline, start);
                    self.read_heredocs();
                }
                b';' => {
                    self.i += if self.at(self.i + 1) == Some(b';') { 2 } else { 1 };
                    self.op(Op::Semi, start);
                }
                b'&' => match self.at(self.i + 1) {
                    Some(b'&') => {
                        self.i += 2;
                        self.op(Op::And, start);
                    }
                    Some(b'>') => {
                        let append = self.at(self.i + 2) == Some(b'>');
                        self.i += if append { 3 } else { 2 };
                        self.redir(if append { RedirOp::AppendErr } else { RedirOp::OutErr }, None, start);
                    }
                    _ => {
                        self.i += 1;
                        self.op(Op::Amp, start);
                    }
                },
                b'|' => match self.at(self.i + 1) {
                    Some(b'|') => {
                        self.i += 2;
                        self.op(Op::Or, start);
                    }
                    Some(b'&') => {
                        self.i += 2;
                        self.op(Op::Pipe, start);
                    }
                    _ => {
                        self.i += 1;
                        self.op(Op::Pipe, start);
                    }
                },
                b'(' => {
                    self.i += 1;
                    self.op(Op::LParen, start);
                }
                b')' => {
                    self.i += 1;
                    self.op(Op::RParen, start);
                }
                b'<' | b'>' if self.at(self.i + 1) == Some(b'(') => {
                    let w = self.word();
                    self.toks.push(Tok::Word(w));
                }
                b'<' | b'>' => self.redir_op(None, start),
                b'0'..=b'9' => {
                    // A descriptor prefix (`2>`, `0<&`) only when the digits run straight into `<` or `>`.
                    let mut j = self.i;
                    while self.at(j).is_some_and(|c| c.is_ascii_digit()) {
                        j += 1;
                    }
                    if matches!(self.at(j), Some(b'<' | b'>')) && self.at(j + 1) != Some(b'(') {
                        let fd = self.src.text.get(self.i..j).and_then(|s| s.parse().ok());
                        self.i = j;
                        self.redir_op(fd, start);
                    } else {
                        let w = self.word();
                        self.toks.push(Tok::Word(w));
                    }
                }
                _ => {
                    let w = self.word();
                    self.toks.push(Tok::Word(w));
                }
            }
        }
        self.toks
    }

    fn op(&mut self, op: Op, _start: usize) {
        self.toks.push(Tok::Op(op));
    }

    fn redir(&mut self, op: RedirOp, fd: Option<u32>, start: usize) {
        let span = self.src.orig(start, self.i);
        self.toks.push(Tok::Redir(Redir { op, fd, target: None, body: None, span }));
    }

    fn redir_op(&mut self, fd: Option<u32>, start: usize) {
        let c = self.at(self.i);
        let n = self.at(self.i + 1);
        let n2 = self.at(self.i + 2);
        let (op, len) = match (c, n, n2) {
            (Some(b'<'), Some(b'<'), Some(b'<')) => (RedirOp::HereString, 3),
            (Some(b'<'), Some(b'<'), Some(b'-')) => (RedirOp::HereDoc, 3),
            (Some(b'<'), Some(b'<'), _) => (RedirOp::HereDoc, 2),
            (Some(b'<'), Some(b'&'), _) => (RedirOp::DupIn, 2),
            (Some(b'<'), Some(b'>'), _) => (RedirOp::InOut, 2),
            (Some(b'<'), _, _) => (RedirOp::In, 1),
            (Some(b'>'), Some(b'>'), _) => (RedirOp::Append, 2),
            (Some(b'>'), Some(b'&'), _) => (RedirOp::DupOut, 2),
            (Some(b'>'), Some(b'|'), _) => (RedirOp::Out, 2),
            _ => (RedirOp::Out, 1),
        };
        let strip_tabs = op == RedirOp::HereDoc && len == 3;
        self.i += len;
        self.redir(op, fd, start);
        if op == RedirOp::HereDoc {
            // The delimiter is the next word; the body starts after the next newline.
            while matches!(self.at(self.i), Some(b' ' | b'\t')) {
                self.i += 1;
            }
            if self.at(self.i).is_some_and(|c| !is_meta(c)) {
                let w = self.word();
                let idx = self.toks.len().saturating_sub(1);
                self.pending.push((idx, w.text.clone(), strip_tabs));
                self.toks.push(Tok::Word(w));
            }
        }
    }

    fn read_heredocs(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for (idx, delim, strip_tabs) in pending {
            let body_start = self.i;
            let mut body_end = self.b.len();
            let mut next = self.b.len();
            let mut line_start = self.i;
            while line_start < self.b.len() {
                let line_end =
                    self.b.iter().skip(line_start).position(|&c| c == b'\n').map_or(self.b.len(), |p| line_start + p);
                let line = self.src.text.get(line_start..line_end).unwrap_or_default();
                let line = if strip_tabs { line.trim_start_matches('\t') } else { line };
                if line.trim_end_matches('\r') == delim {
                    body_end = line_start;
                    next = (line_end + 1).min(self.b.len());
                    break;
                }
                line_start = line_end + 1;
            }
            let body_src = self.src.slice(body_start, body_end);
            let body = Word {
                span: self.src.orig(body_start, body_end),
                text: body_src.text,
                map: body_src.map,
                quoted: true,
                ..Word::default()
            };
            if let Some(Tok::Redir(r)) = self.toks.get_mut(idx) {
                r.body = Some(body);
            }
            self.i = next.max(self.i);
        }
    }

    /// Reads one word starting at `self.i`.
    fn word(&mut self) -> Word {
        let start = self.i;
        let mut w = WordBuf::default();
        let mut process_sub = false;
        if matches!(self.at(self.i), Some(b'<' | b'>')) && self.at(self.i + 1) == Some(b'(') {
            process_sub = true;
            self.i += 1; // the `(` is handled as a substitution below
            self.substitution(&mut w, self.i - 1, self.i + 1);
        }
        while let Some(c) = self.at(self.i) {
            if is_meta(c) {
                break;
            }
            match c {
                b'\'' => {
                    w.quoted = true;
                    self.i += 1;
                    while let Some(c) = self.at(self.i) {
                        if c == b'\'' {
                            break;
                        }
                        w.push(c, self.r(self.i));
                        self.i += 1;
                    }
                    self.i += 1;
                }
                b'"' => {
                    w.quoted = true;
                    self.i += 1;
                    self.double_quoted(&mut w);
                }
                b'\\' => {
                    w.quoted = true;
                    match self.at(self.i + 1) {
                        Some(b'\n') => self.i += 2,
                        Some(n) => {
                            let (s, _) = self.r(self.i);
                            let (_, e) = self.r(self.i + 1);
                            w.push(n, (s, e));
                            self.i += 2;
                        }
                        None => self.i += 1,
                    }
                }
                b'$' => self.dollar(&mut w),
                b'`' => {
                    let open = self.i;
                    self.backtick(&mut w, open);
                }
                _ => {
                    w.push(c, self.r(self.i));
                    self.i += 1;
                }
            }
        }
        self.finish(w, start, process_sub)
    }

    fn finish(&self, w: WordBuf, start: usize, process_sub: bool) -> Word {
        let span = self.src.orig(start, self.i.min(self.b.len()));
        let (text, map) = match String::from_utf8(w.bytes) {
            Ok(t) => (t, w.map),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), w.map),
        };
        let s = Src::from_parts(text, map);
        Word { text: s.text, map: s.map, span, subs: w.subs, process_sub, quoted: w.quoted }
    }

    fn double_quoted(&mut self, w: &mut WordBuf) {
        while let Some(c) = self.at(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return;
                }
                b'\\' => match self.at(self.i + 1) {
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        let (s, _) = self.r(self.i);
                        let (_, e) = self.r(self.i + 1);
                        w.push(n, (s, e));
                        self.i += 2;
                    }
                    Some(b'\n') => self.i += 2,
                    _ => {
                        w.push(c, self.r(self.i));
                        self.i += 1;
                    }
                },
                b'$' => self.dollar(w),
                b'`' => {
                    let open = self.i;
                    self.backtick(w, open);
                }
                _ => {
                    w.push(c, self.r(self.i));
                    self.i += 1;
                }
            }
        }
    }

    /// `$…` at `self.i`: substitutions are parsed, parameters and arithmetic kept as raw text.
    fn dollar(&mut self, w: &mut WordBuf) {
        let open = self.i;
        match self.at(self.i + 1) {
            Some(b'(') if self.at(self.i + 2) == Some(b'(') => {
                let end = find_close(self.b, self.i + 2).map_or(self.b.len(), |e| (e + 1).min(self.b.len()));
                self.copy_raw(w, open, end);
            }
            Some(b'(') => self.substitution(w, open, self.i + 2),
            Some(b'{') => {
                let end = find_brace(self.b, self.i + 2).map_or(self.b.len(), |e| e + 1);
                self.copy_raw(w, open, end);
            }
            Some(b'\'') => {
                w.quoted = true;
                self.i += 2;
                self.ansi_c(w);
            }
            _ => {
                w.push(b'$', self.r(self.i));
                self.i += 1;
            }
        }
    }

    fn copy_raw(&mut self, w: &mut WordBuf, from: usize, to: usize) {
        for j in from..to.min(self.b.len()) {
            if let Some(c) = self.at(j) {
                w.push(c, self.r(j));
            }
        }
        self.i = to.max(self.i + 1);
    }

    /// A `$(` / `<(` / `>(` substitution whose `(` is at `inner_start - 1`; `open` is where its text starts.
    fn substitution(&mut self, w: &mut WordBuf, open: usize, inner_start: usize) {
        let close = find_close(self.b, inner_start);
        let inner_end = close.unwrap_or(self.b.len());
        let end = close.map_or(self.b.len(), |c| c + 1);
        if self.depth < MAX_DEPTH {
            let inner = self.src.slice(inner_start, inner_end);
            w.subs.push(parse(&inner, self.depth + 1));
        }
        self.copy_raw(w, open, end);
    }

    fn backtick(&mut self, w: &mut WordBuf, open: usize) {
        let mut j = open + 1;
        let mut inner = Vec::new();
        let mut map = Vec::new();
        while let Some(c) = self.at(j) {
            if c == b'`' {
                break;
            }
            if c == b'\\' && matches!(self.at(j + 1), Some(b'`' | b'\\' | b'$')) {
                j += 1;
            }
            if let Some(c) = self.at(j) {
                inner.push(c);
                map.push(self.r(j));
            }
            j += 1;
        }
        let end = (j + 1).min(self.b.len());
        if self.depth < MAX_DEPTH {
            let text = String::from_utf8(inner).unwrap_or_default();
            let src = Src::from_parts(text, map);
            w.subs.push(parse(&src, self.depth + 1));
        }
        self.copy_raw(w, open, end);
    }

    /// `$'…'` with the common escapes; `\xHH` above 0x7f is kept literally so the text stays UTF-8.
    fn ansi_c(&mut self, w: &mut WordBuf) {
        while let Some(c) = self.at(self.i) {
            if c == b'\'' {
                self.i += 1;
                return;
            }
            if c != b'\\' {
                w.push(c, self.r(self.i));
                self.i += 1;
                continue;
            }
            let s = self.r(self.i).0;
            let Some(n) = self.at(self.i + 1) else {
                self.i += 1;
                continue;
            };
            let simple = match n {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'\\' => Some(b'\\'),
                b'\'' => Some(b'\''),
                b'"' => Some(b'"'),
                b'e' | b'E' => Some(0x1b),
                b'a' => Some(7),
                b'0' => Some(0),
                _ => None,
            };
            if let Some(v) = simple {
                let e = self.r(self.i + 1).1;
                w.push(v, (s, e));
                self.i += 2;
                continue;
            }
            if n == b'x' {
                let mut j = self.i + 2;
                let mut v: u32 = 0;
                while j < self.i + 4 && self.at(j).is_some_and(|c| c.is_ascii_hexdigit()) {
                    v = v * 16 + self.at(j).and_then(|c| char::from(c).to_digit(16)).unwrap_or(0);
                    j += 1;
                }
                if j > self.i + 2 && v < 0x80 {
                    let e = self.r(j - 1).1;
                    w.push(u8::try_from(v).unwrap_or(b'?'), (s, e));
                    self.i = j;
                    continue;
                }
            }
            w.push(b'\\', self.r(self.i));
            self.i += 1;
        }
    }
}

/// The index of the `)` closing a parenthesis whose contents start at `from`, skipping quotes and nesting.
fn find_close(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'\'' => {
                i += 1;
                while b.get(i).is_some_and(|&c| c != b'\'') {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while let Some(&c) = b.get(i) {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            b'`' => {
                i += 1;
                while b.get(i).is_some_and(|&c| c != b'`') {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn find_brace(b: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    nesting: usize,
}

fn is_word(t: Option<&Tok>, s: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if !w.quoted && w.text == s)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn script(&mut self, until_paren: bool, until_brace: bool) -> Script {
        let mut script = Script::default();
        loop {
            match self.peek() {
                None => break,
                Some(Tok::Op(Op::Semi | Op::Newline | Op::And | Op::Or | Op::Amp | Op::Pipe)) => self.pos += 1,
                Some(Tok::Op(Op::RParen)) if until_paren => break,
                Some(Tok::Op(Op::RParen)) => self.pos += 1,
                t if until_brace && is_word(t, "}") => break,
                _ => {
                    let before = self.pos;
                    let p = self.pipeline();
                    if !p.stages.is_empty() {
                        script.pipelines.push(p);
                    }
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
        script
    }

    fn pipeline(&mut self) -> Pipeline {
        let mut p = Pipeline::default();
        loop {
            if let Some(st) = self.stage() {
                p.stages.push(st);
            }
            match self.peek() {
                Some(Tok::Op(Op::Pipe)) => {
                    self.pos += 1;
                    while matches!(self.peek(), Some(Tok::Op(Op::Newline))) {
                        self.pos += 1;
                    }
                }
                Some(Tok::Op(Op::Amp)) => {
                    self.pos += 1;
                    p.background = true;
                    break;
                }
                _ => break,
            }
        }
        p
    }

    fn redirs(&mut self, out: &mut Vec<Redir>) {
        while let Some(Tok::Redir(r)) = self.peek() {
            let mut r = r.clone();
            self.pos += 1;
            if let Some(Tok::Word(w)) = self.peek() {
                r.target = Some(w.clone());
                self.pos += 1;
            }
            out.push(r);
        }
    }

    fn stage(&mut self) -> Option<Stage> {
        match self.peek() {
            Some(Tok::Op(Op::LParen)) if self.nesting < MAX_NESTING => {
                self.pos += 1;
                self.nesting += 1;
                let body = self.script(true, false);
                self.nesting -= 1;
                if matches!(self.peek(), Some(Tok::Op(Op::RParen))) {
                    self.pos += 1;
                }
                let mut redirs = Vec::new();
                self.redirs(&mut redirs);
                Some(Stage::Group { body, redirs })
            }
            t if is_word(t, "{") && self.nesting < MAX_NESTING => {
                self.pos += 1;
                self.nesting += 1;
                let body = self.script(false, true);
                self.nesting -= 1;
                if is_word(self.peek(), "}") {
                    self.pos += 1;
                }
                let mut redirs = Vec::new();
                self.redirs(&mut redirs);
                Some(Stage::Group { body, redirs })
            }
            Some(Tok::Op(..)) => None,
            _ => self.simple(),
        }
    }

    fn simple(&mut self) -> Option<Stage> {
        let mut c = Simple::default();
        let mut first: Option<Span> = None;
        let mut last = Span::default();
        loop {
            match self.peek() {
                Some(Tok::Word(w)) => {
                    let w = w.clone();
                    self.pos += 1;
                    first.get_or_insert(w.span);
                    last = w.span;
                    if c.words.is_empty() && is_assignment(&w.text) && !w.text.starts_with('=') {
                        c.assigns.push(w);
                    } else {
                        c.words.push(w);
                    }
                    // `name() { … }`: a function definition.
                    if c.words.len() == 1
                        && c.assigns.is_empty()
                        && matches!(self.peek(), Some(Tok::Op(Op::LParen)))
                        && matches!(self.toks.get(self.pos + 1), Some(Tok::Op(Op::RParen)))
                    {
                        self.pos += 2;
                        return Some(self.func_body(c));
                    }
                }
                Some(Tok::Redir(r)) => {
                    first.get_or_insert(r.span);
                    last = r.span;
                    let mut rs = Vec::new();
                    self.redirs(&mut rs);
                    if let Some(t) = rs.last().and_then(|r| r.target.as_ref()) {
                        last = t.span;
                    }
                    c.redirs.extend(rs);
                }
                _ => break,
            }
        }
        let first = first?;
        c.span = Span { start: first.start, end: last.end.max(first.start) };
        Some(Stage::Simple(c))
    }

    fn func_body(&mut self, c: Simple) -> Stage {
        let name = c.words.first().map(|w| w.text.clone()).unwrap_or_default();
        let start = c.words.first().map_or(0, |w| w.span.start);
        while matches!(self.peek(), Some(Tok::Op(Op::Newline))) {
            self.pos += 1;
        }
        let body = match self.stage() {
            Some(Stage::Group { body, .. }) => body,
            Some(st) => Script { pipelines: vec![Pipeline { stages: vec![st], background: false }] },
            None => Script::default(),
        };
        let end = body.simples().last().map_or(start, |s| s.span.end).max(start);
        Stage::FuncDef { name, body, span: Span { start, end } }
    }
}

/// `NAME=value` (or `NAME+=value`) with a valid shell name.
pub(crate) fn is_assignment(text: &str) -> bool {
    let Some(eq) = text.find('=') else { return false };
    let name = text.get(..eq).unwrap_or_default();
    let name = name.strip_suffix('+').unwrap_or(name);
    !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.bytes().next().is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<String>> {
        parse(&Src::top(s), 0).simples().iter().map(|c| c.words.iter().map(|w| w.text.clone()).collect()).collect()
    }

    fn check(input: &str, expect: &[&[&str]]) {
        let got = words(input);
        let want: Vec<Vec<String>> = expect.iter().map(|c| c.iter().map(|s| (*s).to_owned()).collect()).collect();
        assert_eq!(got, want, "input: {input}");
    }

    #[test]
    fn splits_lists_pipelines_and_quotes() {
        check("echo 'a b' \"c $d\" e\\ f", &[&["echo", "a b", "c $d", "e f"]]);
        check("a && b || c; d & e | f", &[&["a"], &["b"], &["c"], &["d"], &["e"], &["f"]]);
        check("X=1 env Y=2 cmd", &[&["env", "Y=2", "cmd"]]);
        check("( a; b ) | { c; }", &[&["a"], &["b"], &["c"]]);
        check("cat <<EOF\nrm -rf /\nEOF\necho hi", &[&["cat"], &["echo", "hi"]]);
        check("f() { f | f & }; f", &[&["f"], &["f"], &["f"]]);
        check("echo $'a\\x41b'", &[&["echo", "aAb"]]);
        check("a #comment\nb", &[&["a"], &["b"]]);
    }

    #[test]
    fn redirections_and_substitutions() {
        let s = parse(&Src::top("cat < in 2>&1 >> out $(id -u) `whoami` <(curl x)"), 0);
        let c = s.simples();
        let c = c.first().copied().unwrap();
        assert_eq!(c.redirs.len(), 3);
        assert_eq!(c.redirs[0].op, RedirOp::In);
        assert_eq!(c.redirs[1].fd, Some(2));
        assert_eq!(c.redirs[2].op, RedirOp::Append);
        let subs: usize = c.words.iter().map(|w| w.subs.len()).sum();
        assert_eq!(subs, 3);
        assert!(c.words[3].process_sub);
    }

    #[test]
    fn maps_offsets_back_through_quotes() {
        let input = "bash -c 'rm -rf /tmp/x'";
        let s = parse(&Src::top(input), 0);
        let c = s.simples();
        let w = &c[0].words[2];
        assert_eq!(w.text, "rm -rf /tmp/x");
        let inner = parse(&w.as_src(), 1);
        let ic = inner.simples();
        let target = &ic[0].words[2];
        assert_eq!(&input[target.span.start..target.span.end], "/tmp/x");
    }

    #[test]
    fn survives_unbalanced_input() {
        for s in ["$(", "`", "'", "\"", "((((((", "{ { {", ")))", "<<", "a <<E\nb", "$'\\x", "${", "2>"] {
            let _ = parse(&Src::top(s), 0);
        }
        let deep = "(".repeat(10_000);
        let _ = parse(&Src::top(&deep), 0);
        let deep = "$(".repeat(5_000);
        let _ = parse(&Src::top(&deep), 0);
    }
}
