//! The tokenizer: quoting, operators, redirections and here-documents, substitutions parsed recursively.

use super::*;

pub(super) struct Lexer<'a> {
    src: &'a Src,
    b: &'a [u8],
    i: usize,
    depth: usize,
    toks: Vec<Tok>,
    /// Here-documents waiting for the next newline: (token index, delimiter, strip tabs).
    pending: Vec<(usize, String, bool)>,
}

pub(super) fn is_meta(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>')
}

/// Where a word is built: its bytes, and for each the original range.
#[derive(Default)]
pub(super) struct WordBuf {
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
    pub(super) fn new(src: &'a Src, depth: usize) -> Self {
        Self { src, b: src.text.as_bytes(), i: 0, depth, toks: Vec::new(), pending: Vec::new() }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    fn r(&self, i: usize) -> (usize, usize) {
        let s = self.src.orig(i, i + 1);
        (s.start, s.end)
    }

    pub(super) fn run(mut self) -> Vec<Tok> {
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
pub(super) fn find_close(b: &[u8], from: usize) -> Option<usize> {
    find_matching(b, from, b'(', b')', true)
}

/// The index of the `}` closing a `${…}` whose contents start at `from`, skipping nesting (quotes inside are
/// not special here).
pub(super) fn find_brace(b: &[u8], from: usize) -> Option<usize> {
    find_matching(b, from, b'{', b'}', false)
}

/// The index of the `close` that ends a bracket opened just before `from`: nested `open`s count, a backslash
/// escapes the next byte, and with `quoted` nothing inside '…', "…" or `…` counts.
fn find_matching(b: &[u8], from: usize, open: u8, close: u8, quoted: bool) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = from;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'\'' | b'`' if quoted => {
                i += 1;
                while b.get(i).is_some_and(|&q| q != c) {
                    i += 1;
                }
            }
            b'"' if quoted => {
                i += 1;
                while let Some(&q) = b.get(i) {
                    if q == b'\\' {
                        i += 1;
                    } else if q == b'"' {
                        break;
                    }
                    i += 1;
                }
            }
            c if c == open => depth += 1,
            c if c == close => {
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
