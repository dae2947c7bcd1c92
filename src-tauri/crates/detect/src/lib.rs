//! `vargate-detect` looks at what an agent says and does and points at what deserves a human's eyes: personal
//! data and secrets in text and JSON ([`pii`]), dangerous shell commands, file paths and URLs ([`command`]),
//! and suspicious patterns across a session ([`behaviour`]). [`detect_line`] is the JSON Lines interface used to
//! evaluate it.
//!
//! Precision matters as much as recall: every PII kind is checked by a validator (Luhn, mod-97, issuing rules,
//! decoding) and commands are parsed as shell (a small POSIX-ish parser) rather than
//! matched as raw strings, so that `rm -rf target` is not `rm -rf /`.
//!
//! Invariant: this crate is pure and fast. It does no IO, reads no clock (time arrives with each observation),
//! spawns nothing and depends on no other vargate crate. It faces hostile input, so panicking constructs
//! (`unwrap`, indexing, `panic!`) are denied outside tests; every span it returns lies on character boundaries
//! of the string it was given.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)
)]

pub mod behaviour;
pub mod command;
pub mod line;
mod paths;
pub mod pii;
mod shell;
mod urls;

use serde::{Deserialize, Serialize};

pub use behaviour::{Anomaly, AnomalyKind, BehaviourConfig, Observation, SessionBehaviour};
pub use command::{Category, CommandAnalysis, FLAG_THRESHOLD, Finding, analyse_command, analyse_path, analyse_url};
pub use line::{DetectLineError, detect_line};
pub use pii::{JsonFinding, PiiKind, PiiSpan, redact, scan_json, scan_text};

/// A half-open byte range `start..end` into the string that was analysed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }
}

/// Converts a byte span into `text` to character (Unicode scalar) offsets, as JSON and most UIs count them.
///
/// Offsets past the end are clamped; an offset inside a character counts that character as started.
pub fn char_offsets(text: &str, span: Span) -> (usize, usize) {
    let count = |b: usize| {
        let b = b.min(text.len());
        text.char_indices().take_while(|(i, _)| *i < b).count()
    };
    (count(span.start), count(span.end))
}
