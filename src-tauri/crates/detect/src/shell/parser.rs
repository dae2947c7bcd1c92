//! The parser: lists, pipelines, subshells, groups and function definitions over the lexer's tokens.

use super::*;

pub(super) struct Parser<'t> {
    pub(super) toks: &'t [Tok],
    pub(super) pos: usize,
    pub(super) nesting: usize,
}

pub(super) fn is_word(t: Option<&Tok>, s: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if !w.quoted && w.text == s)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    pub(super) fn script(&mut self, until_paren: bool, until_brace: bool) -> Script {
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
