//! Personal data and secrets in text and JSON.
//!
//! Each kind is found by a candidate pattern and then confirmed by a validator: Luhn and issuer prefixes for
//! cards, mod-97 and the per-country length for IBANs, issuing rules for SSNs and NI numbers, octet ranges and
//! `std` parsing for IP addresses, a JSON header with `"alg"` for JWTs, boundary and context checks for phone
//! numbers. When candidates overlap, the more specific kind wins (a password inside a URL is not an e-mail).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Span;
pub use crate::char_offsets;

/// What a [`PiiSpan`] contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PiiKind {
    Email,
    Phone,
    PaymentCard,
    Iban,
    UsSsn,
    UkNino,
    IpAddress,
    AwsAccessKey,
    /// GCP service-account `private_key_id`, Google `AIza…` API keys, Azure storage `AccountKey=`, AWS secret keys.
    CloudKey,
    /// GitHub, Slack, Stripe, OpenAI and Anthropic tokens.
    ApiToken,
    PrivateKey,
    Jwt,
    /// The password part of `scheme://user:password@host`.
    PasswordInUrl,
}

impl PiiKind {
    /// The serde (snake_case) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::PaymentCard => "payment_card",
            Self::Iban => "iban",
            Self::UsSsn => "us_ssn",
            Self::UkNino => "uk_nino",
            Self::IpAddress => "ip_address",
            Self::AwsAccessKey => "aws_access_key",
            Self::CloudKey => "cloud_key",
            Self::ApiToken => "api_token",
            Self::PrivateKey => "private_key",
            Self::Jwt => "jwt",
            Self::PasswordInUrl => "password_in_url",
        }
    }

    /// How bad a leak of this kind is, 0–100: secrets highest, network identifiers lowest.
    pub fn severity(self) -> u8 {
        match self {
            Self::PrivateKey | Self::AwsAccessKey | Self::CloudKey | Self::ApiToken | Self::PasswordInUrl => 95,
            Self::Jwt => 85,
            Self::PaymentCard | Self::Iban | Self::UsSsn | Self::UkNino => 80,
            Self::Email | Self::Phone => 50,
            Self::IpAddress => 30,
        }
    }
}

/// A finding in text: `start..end` are BYTE offsets into the scanned string (see [`char_offsets`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PiiSpan {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}

impl PiiSpan {
    pub fn span(&self) -> Span {
        Span { start: self.start, end: self.end }
    }
}

/// The spans found in one string of a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonFinding {
    /// A JSON pointer (RFC 6901) to the string; for an object key, the pointer to its member.
    pub path: String,
    /// Whether the spans are in the member's key rather than a string value.
    pub in_key: bool,
    pub spans: Vec<PiiSpan>,
}

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

macro_rules! regex {
    ($name:ident, $pat:expr) => {
        pub(super) static $name: std::sync::LazyLock<Option<regex::Regex>> =
            std::sync::LazyLock::new(|| $crate::pii::re($pat));
    };
}

mod network;
mod numbers;
mod secrets;
mod shape;
#[cfg(test)]
mod tests;

use network::*;
use numbers::*;
use secrets::*;
use shape::Shape;

/// Finds personal data and secrets in `text`. Spans are byte offsets, sorted, never overlapping.
pub fn scan_text(text: &str) -> Vec<PiiSpan> {
    if shape::is_short_identifier(text) {
        return Vec::new();
    }
    scan(text, Some(Shape::of(text)))
}

/// [`scan_text`] running every detector on every text, without the [`Shape`] prefilter: the reference the
/// prefilter is tested against (the results must be identical).
#[doc(hidden)]
pub fn scan_text_exhaustive(text: &str) -> Vec<PiiSpan> {
    scan(text, None)
}

/// A detector, and what a text must have for it to find anything.
type Detector = (fn(&Shape) -> bool, fn(&str, &mut Vec<PiiSpan>));

/// Most specific first: a later candidate overlapping an accepted span is dropped.
const DETECTORS: [Detector; 17] = [
    (Shape::may_hold_private_key, private_keys),
    (Shape::may_hold_jwt, jwts),
    (Shape::may_hold_url_password, passwords_in_urls),
    (Shape::may_hold_token, tokens),
    (Shape::may_hold_aws_key, aws_access_keys),
    (Shape::may_hold_gcp_key_id, gcp_key_ids),
    (Shape::may_hold_azure_key, azure_keys),
    (Shape::may_hold_aws_secret, aws_secrets),
    (Shape::may_hold_google_api_key, google_api_keys),
    (Shape::may_hold_iban, ibans),
    (Shape::may_hold_card, cards),
    (Shape::may_hold_ssn, ssns),
    (Shape::may_hold_nino, ninos),
    (Shape::may_hold_email, emails),
    (Shape::may_hold_ipv4, ipv4s),
    (Shape::may_hold_ipv6, ipv6s),
    (Shape::may_hold_phone, phones),
];

/// Runs the detectors `shape` allows (all of them without one).
fn scan(text: &str, shape: Option<Shape>) -> Vec<PiiSpan> {
    let mut found: Vec<PiiSpan> = Vec::new();
    for (may_hold, detect) in DETECTORS {
        if shape.as_ref().is_none_or(may_hold) {
            detect(text, &mut found);
        }
    }
    found.sort_by_key(|s| (s.start, s.end));
    found
}

fn push(found: &mut Vec<PiiSpan>, kind: PiiKind, start: usize, end: usize) {
    if start >= end || found.iter().any(|s| s.start < end && start < s.end) {
        return;
    }
    found.push(PiiSpan { kind, start, end });
}

fn simple(r: &LazyLock<Option<Regex>>, text: &str, kind: PiiKind, found: &mut Vec<PiiSpan>) {
    if let Some(r) = r.as_ref() {
        for m in r.find_iter(text) {
            push(found, kind, m.start(), m.end());
        }
    }
}

fn byte(text: &str, i: usize) -> Option<u8> {
    text.as_bytes().get(i).copied()
}

fn before(text: &str, i: usize) -> Option<u8> {
    i.checked_sub(1).and_then(|j| byte(text, j))
}

fn is_word_byte(c: Option<u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `c` followed by a digit, e.g. `-5` or `.3`, which would make the match part of a longer number.
fn continues_number(text: &str, i: usize, seps: &[u8]) -> bool {
    byte(text, i).is_some_and(|c| seps.contains(&c)) && byte(text, i + 1).is_some_and(|c| c.is_ascii_digit())
}

fn precedes_number(text: &str, start: usize, seps: &[u8]) -> bool {
    before(text, start).is_some_and(|c| seps.contains(&c))
        && start.checked_sub(2).and_then(|j| byte(text, j)).is_some_and(|c| c.is_ascii_digit())
}

/// Appends RFC 6901 escaping of `token` to `path`.
fn push_pointer(path: &str, token: &str) -> String {
    let mut p = String::with_capacity(path.len() + token.len() + 1);
    p.push_str(path);
    p.push('/');
    for c in token.chars() {
        match c {
            '~' => p.push_str("~0"),
            '/' => p.push_str("~1"),
            c => p.push(c),
        }
    }
    p
}

/// Whether any string of `value`, object keys included, holds a finding: what [`scan_json`] would say is
/// non-empty, without building pointers or copies (most events hold nothing, and this is their whole cost).
pub fn json_has_pii(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if !scan_text(s).is_empty() => return true,
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                for (k, item) in map {
                    if !scan_text(k).is_empty() {
                        return true;
                    }
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    false
}

/// Scans every string in `value`, object keys included. Findings are in document order.
pub fn scan_json(value: &Value) -> Vec<JsonFinding> {
    let mut out = Vec::new();
    // (value, pointer, the member's key when the value belongs to an object); a key is scanned just before
    // its value so findings come out in document order.
    let mut stack: Vec<(&Value, String, Option<&str>)> = vec![(value, String::new(), None)];
    while let Some((v, path, key)) = stack.pop() {
        if let Some(k) = key {
            let spans = scan_text(k);
            if !spans.is_empty() {
                out.push(JsonFinding { path: path.clone(), in_key: true, spans });
            }
        }
        match v {
            Value::String(s) => {
                let spans = scan_text(s);
                if !spans.is_empty() {
                    out.push(JsonFinding { path, in_key: false, spans });
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, push_pointer(&path, &i.to_string()), None));
                }
            }
            Value::Object(map) => {
                let members: Vec<_> = map.iter().collect();
                for (k, item) in members.into_iter().rev() {
                    stack.push((item, push_pointer(&path, k), Some(k.as_str())));
                }
            }
            _ => {}
        }
    }
    out
}

fn redact_str(s: &str) -> (String, Vec<PiiSpan>) {
    let spans = scan_text(s);
    if spans.is_empty() {
        return (s.to_owned(), spans);
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0usize;
    for sp in &spans {
        out.push_str(s.get(at..sp.start).unwrap_or_default());
        out.push_str("[REDACTED:");
        out.push_str(sp.kind.as_str());
        out.push(']');
        at = sp.end;
    }
    out.push_str(s.get(at..).unwrap_or_default());
    (out, spans)
}

/// A copy of `value` with every finding replaced by `[REDACTED:<kind>]` (other text kept), and the findings
/// (spans into the ORIGINAL strings). If redacting two keys of one object makes them equal, the later member is
/// kept under a `#2`-style suffix so no data is silently merged.
pub fn redact(value: &Value) -> (Value, Vec<JsonFinding>) {
    let mut findings = Vec::new();
    let v = redact_at(value, String::new(), &mut findings);
    (v, findings)
}

fn redact_at(value: &Value, path: String, findings: &mut Vec<JsonFinding>) -> Value {
    match value {
        Value::String(s) => {
            let (r, spans) = redact_str(s);
            if !spans.is_empty() {
                findings.push(JsonFinding { path, in_key: false, spans });
            }
            Value::String(r)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| redact_at(v, push_pointer(&path, &i.to_string()), findings))
                .collect(),
        ),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let p = push_pointer(&path, k);
                let (mut key, spans) = redact_str(k);
                if !spans.is_empty() {
                    findings.push(JsonFinding { path: p.clone(), in_key: true, spans });
                }
                let mut n = 2;
                let base = key.clone();
                while out.contains_key(&key) {
                    key = format!("{base}#{n}");
                    n += 1;
                }
                out.insert(key, redact_at(v, p, findings));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}
