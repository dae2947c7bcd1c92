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

mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use lexer::Lexer;
use parser::Parser;

#[derive(Debug, Clone)]
pub(super) enum Tok {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
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

/// `NAME=value` (or `NAME+=value`) with a valid shell name.
pub(crate) fn is_assignment(text: &str) -> bool {
    let Some(eq) = text.find('=') else { return false };
    let name = text.get(..eq).unwrap_or_default();
    let name = name.strip_suffix('+').unwrap_or(name);
    !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !name.bytes().next().is_some_and(|c| c.is_ascii_digit())
}
