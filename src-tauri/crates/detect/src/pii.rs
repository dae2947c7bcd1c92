//! Personal data and secrets in text and JSON.
//!
//! Each kind is found by a candidate pattern and then confirmed by a validator: Luhn and issuer prefixes for
//! cards, mod-97 and the per-country length for IBANs, issuing rules for SSNs and NI numbers, octet ranges and
//! `std` parsing for IP addresses, a JSON header with `"alg"` for JWTs, boundary and context checks for phone
//! numbers. When candidates overlap, the more specific kind wins (a password inside a URL is not an e-mail).

use std::sync::LazyLock;

use base64::Engine as _;
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
        static $name: LazyLock<Option<Regex>> = LazyLock::new(|| re($pat));
    };
}

regex!(
    EMAIL,
    r"(?i)[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.[a-z]{2,24}\b"
);
regex!(PHONE, r"\+?\(?\d[\d ().\-]{5,40}\d");
regex!(CARD, r"\d(?:[ -]?\d){12,18}");
regex!(IBAN_START, r"\b[A-Z]{2}\d{2} ?[A-Z0-9]");
regex!(SSN, r"\b\d{3}-\d{2}-\d{4}\b");
regex!(NINO, r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b");
regex!(IPV4, r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b");
regex!(IPV6, r"(?i)(?:[0-9a-f]{1,4}|:)(?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?");
regex!(AWS_KEY, r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b");
regex!(GCP_KEY_ID, r#"private_key_id\\?"\s*:\s*\\?"([0-9a-f]{40})\\?""#);
regex!(GOOGLE_API_KEY, r"\bAIza[0-9A-Za-z_\-]{35}");
regex!(AZURE_KEY, r"(?i)\b(?:AccountKey|SharedAccessKey)=([A-Za-z0-9+/]{20,}={0,2})");
regex!(AWS_SECRET, r#"(?i)aws_secret_access_key\\?["']?\s*[=:]\s*\\?["']?([A-Za-z0-9/+]{40})\b"#);
regex!(
    TOKEN,
    r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}|xox[abprs]-[A-Za-z0-9-]{10,}|(?:sk|rk)_live_[A-Za-z0-9]{16,}|sk-ant-[A-Za-z0-9_\-]{20,}|sk-(?:proj-)?[A-Za-z0-9_\-]{20,})"
);
regex!(
    PRIVATE_KEY,
    r"(?s)-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----.*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
);
regex!(PRIVATE_KEY_OPEN, r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s\\:-]*");
regex!(JWT, r"\bey[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*");
regex!(PASSWORD_URL, r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,15}://[^\s:/@?#\[\]]+:([^\s/@?#]+)@[^\s/@?#:]+");

/// Finds personal data and secrets in `text`. Spans are byte offsets, sorted, never overlapping.
pub fn scan_text(text: &str) -> Vec<PiiSpan> {
    let mut found: Vec<PiiSpan> = Vec::new();
    // Detectors run most specific first; a later candidate overlapping an accepted span is dropped.
    private_keys(text, &mut found);
    jwts(text, &mut found);
    passwords_in_urls(text, &mut found);
    tokens(text, &mut found);
    simple(&AWS_KEY, text, PiiKind::AwsAccessKey, &mut found);
    cloud_keys(text, &mut found);
    ibans(text, &mut found);
    cards(text, &mut found);
    ssns(text, &mut found);
    ninos(text, &mut found);
    emails(text, &mut found);
    ipv4s(text, &mut found);
    ipv6s(text, &mut found);
    phones(text, &mut found);
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

fn private_keys(text: &str, found: &mut Vec<PiiSpan>) {
    if !text.contains("PRIVATE KEY") {
        return;
    }
    simple(&PRIVATE_KEY, text, PiiKind::PrivateKey, found);
    // A block cut short (no END line) still gives the key away.
    if let Some(r) = PRIVATE_KEY_OPEN.as_ref() {
        for m in r.find_iter(text) {
            let s = m.as_str().trim_end();
            push(found, PiiKind::PrivateKey, m.start(), m.start() + s.len());
        }
    }
}

fn jwts(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = JWT.as_ref() else { return };
    for m in r.find_iter(text) {
        let header = m.as_str().split('.').next().unwrap_or_default();
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')) else {
            continue;
        };
        let alg =
            serde_json::from_slice::<Value>(&bytes).ok().is_some_and(|v| v.get("alg").is_some_and(Value::is_string));
        if alg {
            push(found, PiiKind::Jwt, m.start(), m.end());
        }
    }
}

fn passwords_in_urls(text: &str, found: &mut Vec<PiiSpan>) {
    if !text.contains("://") {
        return;
    }
    let Some(r) = PASSWORD_URL.as_ref() else { return };
    for c in r.captures_iter(text) {
        let Some(p) = c.get(1) else { continue };
        let pw = p.as_str();
        // Placeholders and variables are not secrets.
        let placeholder = pw.starts_with(['$', '{', '<', '%'])
            || pw.chars().all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
            || pw.eq_ignore_ascii_case("password");
        if !placeholder {
            push(found, PiiKind::PasswordInUrl, p.start(), p.end());
        }
    }
}

fn tokens(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = TOKEN.as_ref() else { return };
    for m in r.find_iter(text) {
        let s = m.as_str();
        if s.starts_with("sk-") && !s.starts_with("sk-ant-") {
            // OpenAI-style keys are random: demand letters and digits, not a long kebab-case name.
            let body = s.trim_start_matches("sk-proj-").trim_start_matches("sk-");
            let digits = body.bytes().filter(u8::is_ascii_digit).count();
            let upper = body.bytes().filter(u8::is_ascii_uppercase).count();
            if digits < 2 || upper < 2 {
                continue;
            }
        }
        push(found, PiiKind::ApiToken, m.start(), m.end());
    }
}

fn cloud_keys(text: &str, found: &mut Vec<PiiSpan>) {
    for r in [&GCP_KEY_ID, &AZURE_KEY, &AWS_SECRET] {
        if let Some(r) = r.as_ref() {
            for c in r.captures_iter(text) {
                if let Some(g) = c.get(1) {
                    push(found, PiiKind::CloudKey, g.start(), g.end());
                }
            }
        }
    }
    if let Some(r) = GOOGLE_API_KEY.as_ref() {
        for m in r.find_iter(text) {
            let next = byte(text, m.end());
            if !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                push(found, PiiKind::CloudKey, m.start(), m.end());
            }
        }
    }
}

/// IBAN lengths per country (SWIFT registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

pub(crate) fn iban_valid(compact: &str) -> bool {
    let Some(cc) = compact.get(..2) else { return false };
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == cc) else { return false };
    if compact.len() != len || !compact.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()) {
        return false;
    }
    let rotated = compact.bytes().skip(4).chain(compact.bytes().take(4));
    let mut rem: u32 = 0;
    for c in rotated {
        let v = if c.is_ascii_digit() { u32::from(c - b'0') } else { u32::from(c - b'A') + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

fn ibans(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = IBAN_START.as_ref() else { return };
    for m in r.find_iter(text) {
        let start = m.start();
        let Some(&(_, len)) = text.get(start..start + 2).and_then(|cc| IBAN_LENGTHS.iter().find(|(c, _)| *c == cc))
        else {
            continue;
        };
        // Walk exactly `len` characters, allowing single spaces between groups.
        let mut compact = String::with_capacity(len);
        let mut i = start;
        while compact.len() < len {
            match byte(text, i) {
                Some(c) if c.is_ascii_digit() || c.is_ascii_uppercase() => {
                    compact.push(char::from(c));
                    i += 1;
                }
                Some(b' ') if byte(text, i + 1).is_some_and(|c| c.is_ascii_alphanumeric()) && !compact.is_empty() => {
                    i += 1;
                }
                _ => break,
            }
        }
        if compact.len() == len
            && !is_word_byte(byte(text, i))
            && !is_word_byte(before(text, start))
            && iban_valid(&compact)
        {
            push(found, PiiKind::Iban, start, i);
        }
    }
}

pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(*d);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Known issuer prefixes and lengths (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro).
fn card_issuer_ok(d: &[u8]) -> bool {
    let n = d.len();
    let prefix = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + u32::from(x));
    let p1 = prefix(1);
    let p2 = prefix(2);
    let p3 = prefix(3);
    let p4 = prefix(4);
    let p6 = prefix(6);
    match p1 {
        4 => matches!(n, 13 | 16 | 19),
        2 => (2221..=2720).contains(&p4) && n == 16,
        5 => ((51..=55).contains(&p2) && n == 16) || (matches!(p2, 50 | 56..=59) && (12..=19).contains(&n)),
        3 => {
            (matches!(p2, 34 | 37) && n == 15)
                || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n)
                || ((3528..=3589).contains(&p4) && (16..=19).contains(&n))
        }
        6 => {
            (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622_126..=622_925).contains(&p6))
                && (16..=19).contains(&n)
                || (p2 == 62 && (16..=19).contains(&n))
                || (matches!(p4, 6304 | 6759 | 6761..=6763) && (12..=19).contains(&n))
        }
        _ => false,
    }
}

fn cards(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = CARD.as_ref() else { return };
    for m in r.find_iter(text) {
        let start = m.start();
        if is_word_byte(before(text, start)) || precedes_number(text, start, b".-,/") {
            continue;
        }
        let s = m.as_str();
        // Groups of digits and the separators between them; separators must all be the same character.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut sep: Option<u8> = None;
        let mut consistent = true;
        let mut gs = 0usize;
        for (i, c) in s.bytes().enumerate() {
            if !c.is_ascii_digit() {
                groups.push((gs, i));
                gs = i + 1;
                if sep.is_some_and(|p| p != c) {
                    consistent = false;
                }
                sep = Some(c);
            }
        }
        groups.push((gs, s.len()));
        if !consistent || (groups.len() > 1 && groups.iter().any(|(a, b)| b - a < 3 || b - a > 6)) {
            continue;
        }
        // Try the whole candidate, then shorter prefixes ending on a group boundary.
        for k in (1..=groups.len()).rev() {
            let Some(&(_, gend)) = groups.get(k - 1) else { continue };
            let end = start + gend;
            let digits: Vec<u8> = s.bytes().take(gend).filter(u8::is_ascii_digit).map(|c| c - b'0').collect();
            if !(13..=19).contains(&digits.len()) {
                continue;
            }
            let whole = k == groups.len();
            if whole && (is_word_byte(byte(text, end)) || continues_number(text, end, b".,-/")) {
                continue;
            }
            if digits.iter().all(|&d| d == digits.first().copied().unwrap_or(0)) {
                continue;
            }
            if luhn_valid(&digits) && card_issuer_ok(&digits) {
                push(found, PiiKind::PaymentCard, start, end);
                break;
            }
        }
    }
}

fn ssns(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = SSN.as_ref() else { return };
    for m in r.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if precedes_number(text, s, b"-./") || continues_number(text, e, b"-./") || before(text, s) == Some(b'-') {
            continue;
        }
        let v = m.as_str();
        let area: u32 = v.get(0..3).and_then(|x| x.parse().ok()).unwrap_or(0);
        let group: u32 = v.get(4..6).and_then(|x| x.parse().ok()).unwrap_or(0);
        let serial: u32 = v.get(7..11).and_then(|x| x.parse().ok()).unwrap_or(0);
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
            continue;
        }
        push(found, PiiKind::UsSsn, s, e);
    }
}

fn ninos(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = NINO.as_ref() else { return };
    for m in r.find_iter(text) {
        let v = m.as_str();
        let spaces = v.bytes().filter(|&c| c == b' ').count();
        if spaces != 0 && spaces != 4 {
            continue;
        }
        let mut letters = v.bytes().filter(u8::is_ascii_uppercase);
        let (Some(a), Some(b)) = (letters.next(), letters.next()) else { continue };
        if b"DFIQUV".contains(&a) || b"DFIOQUV".contains(&b) {
            continue;
        }
        let prefix = [a, b];
        if [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"].iter().any(|p| **p == prefix) {
            continue;
        }
        push(found, PiiKind::UkNino, m.start(), m.end());
    }
}

/// File extensions that look like top-level domains in `icon@2x.png`.
const FILE_TLDS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "ts", "css", "map", "json", "html", "txt", "md", "rs",
    "py", "rb", "go", "java", "yml", "yaml", "toml", "lock", "zip", "gz", "tar", "pdf", "mp4", "woff", "woff2",
];

fn emails(text: &str, found: &mut Vec<PiiSpan>) {
    if !text.contains('@') {
        return;
    }
    let Some(r) = EMAIL.as_ref() else { return };
    for m in r.find_iter(text) {
        let v = m.as_str();
        let tld = v.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
        if FILE_TLDS.contains(&tld.as_str()) {
            continue;
        }
        // `git@github.com:org/repo` is an SSH address, not a mailbox.
        if byte(text, m.end()) == Some(b':') && byte(text, m.end() + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
            continue;
        }
        if before(text, m.start()).is_some_and(|c| c == b'@' || c == b'/') {
            continue;
        }
        push(found, PiiKind::Email, m.start(), m.end());
    }
}

/// Words that, just before a dotted quad, make it a version number rather than an address.
fn version_context(text: &str, start: usize) -> bool {
    let from = start.saturating_sub(24);
    let mut from = from;
    while !text.is_char_boundary(from) && from < start {
        from += 1;
    }
    let ctx = text.get(from..start).unwrap_or_default().to_ascii_lowercase();
    let last = ctx.split_whitespace().last().unwrap_or_default();
    let wide = {
        let mut f = start.saturating_sub(40);
        while !text.is_char_boundary(f) && f < start {
            f += 1;
        }
        text.get(f..start).unwrap_or_default().to_ascii_lowercase()
    };
    // A version marker nearby ("upgrade from v10.0.0.1 to 10.0.0.2").
    let near = wide.get(wide.len().saturating_sub(24)..).unwrap_or(&wide);
    let versionish = ["version", "upgrade", "release", "firmware"].iter().any(|w| near.contains(w))
        || wide.split_whitespace().any(|t| {
            let t = t.trim_end_matches([',', ';', ':']);
            t.len() > 1
                && t.starts_with('v')
                && t.get(1..).is_some_and(|r| {
                    r.split('.').count() == 4
                        && r.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                })
        });
    versionish
        || ["ver", "build", "v", "v.", "rev"].iter().any(|w| last == *w || last.trim_end_matches([':', '=']) == *w)
        || ctx.ends_with('v')
        || ctx.ends_with('@')
}

fn ipv4s(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = IPV4.as_ref() else { return };
    for m in r.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        if precedes_number(text, s, b".") || continues_number(text, e, b".") || before(text, s) == Some(b'.') {
            continue;
        }
        // `1.2.3.4-beta`, `10.0.0.1rc`: a version.
        if byte(text, e) == Some(b'-') && byte(text, e + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        let ok = m
            .as_str()
            .split('.')
            .all(|o| o.parse::<u16>().is_ok_and(|v| v <= 255) && (o == "0" || !o.starts_with('0')));
        if ok && !version_context(text, s) {
            push(found, PiiKind::IpAddress, s, e);
        }
    }
}

fn ipv6s(text: &str, found: &mut Vec<PiiSpan>) {
    if !text.contains(':') {
        return;
    }
    let Some(r) = IPV6.as_ref() else { return };
    for m in r.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let prev = before(text, s);
        let next = byte(text, e);
        if prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == b':' || c == b'_')
            || next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b':' || c == b'_')
        {
            continue;
        }
        let v = m.as_str();
        let addr = v.split('%').next().unwrap_or_default();
        let groups = addr.split(':').filter(|g| !g.is_empty()).count();
        if groups < 3 && addr != "::1" {
            continue;
        }
        if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            push(found, PiiKind::IpAddress, s, e);
        }
    }
}

fn phone_context(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(24);
    while !text.is_char_boundary(from) && from < start {
        from += 1;
    }
    let ctx = text.get(from..start).unwrap_or_default().to_ascii_lowercase();
    ["tel", "phone", "call", "mobile", "cell", "fax", "whatsapp", "ring", "sms", "contact"]
        .iter()
        .any(|w| ctx.contains(w))
}

fn phones(text: &str, found: &mut Vec<PiiSpan>) {
    let Some(r) = PHONE.as_ref() else { return };
    for m in r.find_iter(text) {
        // The candidate may start with an unrelated number ("4111… (415) 555-0132"): also try from each space.
        let mut starts = vec![m.start()];
        for (i, c) in m.as_str().bytes().enumerate() {
            // Only right after another finding (a card, say) that swallowed the candidate's start.
            let at = m.start() + i;
            if c == b' ' && found.iter().any(|f| f.end == at && f.start >= m.start()) {
                starts.push(at + 1);
            }
        }
        for s in starts {
            if found.iter().any(|f| f.start < m.end() && s < f.end && f.start >= s) {
                continue;
            }
            if let Some(e) = phone_at(text, s, m.end())
                && !found.iter().any(|f| f.start < e && s < f.end)
            {
                push(found, PiiKind::Phone, s, e);
                break;
            }
        }
    }
}

regex!(IBAN_TAIL, r"[A-Z]{2}\d{2}(?: [A-Z0-9]{4})+ $");

/// Validates `text[s..e]` as a phone number; returns the end of the number.
fn phone_at(text: &str, s: usize, e: usize) -> Option<usize> {
    let v = text.get(s..e)?;
    let opens = v.bytes().filter(|&c| c == b'(').count();
    let closes = v.bytes().filter(|&c| c == b')').count();
    if opens != closes {
        return None;
    }
    let prev = before(text, s);
    if prev.is_some_and(|c| c.is_ascii_alphanumeric() || b"_/:.-#$@".contains(&c)) {
        return None;
    }
    let next = byte(text, e);
    if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'@') || continues_number(text, e, b".-/:,")
    {
        return None;
    }
    // The tail of an IBAN written in groups of four.
    let mut from = s.saturating_sub(40);
    while !text.is_char_boundary(from) && from < s {
        from += 1;
    }
    if IBAN_TAIL.as_ref().is_some_and(|r| r.is_match(text.get(from..s).unwrap_or_default())) {
        return None;
    }
    let plus = v.starts_with('+');
    let body = v.trim_start_matches('+');
    let mut groups: Vec<&str> = Vec::new();
    let mut seps: Vec<u8> = Vec::new();
    let mut cur = 0usize;
    for (i, c) in body.bytes().enumerate() {
        if !c.is_ascii_digit() {
            if i > cur {
                groups.push(body.get(cur..i).unwrap_or_default());
            }
            cur = i + 1;
            seps.push(c);
        }
    }
    if cur < body.len() {
        groups.push(body.get(cur..).unwrap_or_default());
    }
    let digits: usize = groups.iter().map(|g| g.len()).sum();
    // Separators: no doubled spaces or dashes, dots only in the 3-3-4 pattern.
    if v.contains("  ") || v.contains("--") || v.contains("..") || v.contains("-.") || v.contains(".-") {
        return None;
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    if seps.contains(&b'.') && !(lens == [3, 3, 4] && seps.iter().all(|&c| c == b'.')) {
        return None;
    }
    if plus {
        if !(8..=15).contains(&digits) || lens.first().is_some_and(|&l| l > 3 && groups.len() > 1) {
            return None;
        }
    } else {
        if !(9..=12).contains(&digits) {
            return None;
        }
        if groups.len() == 1 && !phone_context(text, s) {
            return None;
        }
        if groups.len() > 1 && lens.iter().any(|&l| l > 6) {
            return None;
        }
        // Dates (2024-01-15, 15-01-2024) and SSN-shaped numbers are not phones.
        if matches!(lens.as_slice(), [4, 2, 2, ..] | [2, 2, 4, ..] | [3, 2, 4]) && seps.iter().all(|&c| c == b'-') {
            return None;
        }
        if lens.first() == Some(&4)
            && groups.first().is_some_and(|g| g.starts_with("19") || g.starts_with("20"))
            && lens.get(1).is_some_and(|&l| l <= 2)
        {
            return None;
        }
    }
    let mut end = e;
    while end > s && !byte(text, end - 1).is_some_and(|c| c.is_ascii_digit()) {
        end -= 1;
    }
    Some(end)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `expect` lists `(kind, matched text)` in order.
    fn check(input: &str, expect: &[(PiiKind, &str)]) {
        let got: Vec<(PiiKind, &str)> = scan_text(input).iter().map(|s| (s.kind, &input[s.start..s.end])).collect();
        assert_eq!(got, expect, "input: {input}");
    }

    use PiiKind::*;

    #[test]
    fn all_regexes_compile() {
        for r in [
            &EMAIL,
            &PHONE,
            &CARD,
            &IBAN_START,
            &SSN,
            &NINO,
            &IPV4,
            &IPV6,
            &AWS_KEY,
            &GCP_KEY_ID,
            &GOOGLE_API_KEY,
            &AZURE_KEY,
            &AWS_SECRET,
            &TOKEN,
            &PRIVATE_KEY,
            &PRIVATE_KEY_OPEN,
            &JWT,
            &PASSWORD_URL,
            &IBAN_TAIL,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn cards() {
        check("pay 4111 1111 1111 1111 now", &[(PaymentCard, "4111 1111 1111 1111")]);
        check("pay 4111-1111-1111-1111.", &[(PaymentCard, "4111-1111-1111-1111")]);
        check("amex 378282246310005", &[(PaymentCard, "378282246310005")]);
        check("bad 4111 1111 1111 1112", &[]);
        check("mixed 4111-1111 1111-1111", &[]);
        check("id 41111111111111110000", &[]);
        check("unknown issuer 9111111111111111", &[]);
    }

    #[test]
    fn ibans() {
        check("to DE89 3704 0044 0532 0130 00 ok", &[(Iban, "DE89 3704 0044 0532 0130 00")]);
        check("GB29NWBK60161331926819", &[(Iban, "GB29NWBK60161331926819")]);
        check("GB29NWBK60161331926818", &[]);
        check("XX29NWBK60161331926819", &[]);
    }

    #[test]
    fn ids() {
        check("ssn 536-22-1042", &[(UsSsn, "536-22-1042")]);
        check("ssn 000-22-1042 666-22-1042 912-22-1042 536-00-1042 536-22-0000", &[]);
        check("nino AB 12 34 56 C and AB123456C", &[(UkNino, "AB 12 34 56 C"), (UkNino, "AB123456C")]);
        check("nino GB123456A QQ123456C AB12 3456C", &[]);
    }

    #[test]
    fn network() {
        check("host 10.0.0.1 up", &[(IpAddress, "10.0.0.1")]);
        check("version 1.2.3.4 and v1.2.3.4 and 1.2.3.4.5 and 999.1.1.1", &[]);
        check("addr 2001:db8::1 and fe80::1:2:3", &[(IpAddress, "2001:db8::1"), (IpAddress, "fe80::1:2:3")]);
        check("at 12:30:45 in std::io::Result", &[]);
        check("mail a.b+c@example.co.uk.", &[(Email, "a.b+c@example.co.uk")]);
        check("logo@2x.png git@github.com:org/repo.git", &[]);
    }

    #[test]
    fn phones() {
        check("call +44 20 7946 0958 today", &[(Phone, "+44 20 7946 0958")]);
        check("call (415) 555-0132", &[(Phone, "(415) 555-0132")]);
        check("tel 555.123.4567", &[(Phone, "555.123.4567")]);
        check("on 2024-01-15 build 20240115 id 1234567890", &[]);
        check("phone: 07911123456", &[(Phone, "07911123456")]);
        check("version 10.2.3.4567", &[]);
    }

    #[test]
    fn secrets() {
        check("key AKIAIOSFODNN7EXAMPLE", &[(AwsAccessKey, "AKIAIOSFODNN7EXAMPLE")]);
        check("t ghp_8fK2mQ9xLp3vR7tY1wZ4cB6nD0eH5jA2sU9i", &[(ApiToken, "ghp_8fK2mQ9xLp3vR7tY1wZ4cB6nD0eH5jA2sU9i")]);
        check("sk-this-is-a-long-kebab-case-name", &[]);
        check("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl", &[(ApiToken, "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl")]);
        check("postgres://app:hunter22@db:5432/x", &[(PasswordInUrl, "hunter22")]);
        check("postgres://app:${PW}@db:5432/x", &[]);
        check(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----",
            &[(PrivateKey, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----")],
        );
        check(
            "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789ABCD==;",
            &[(CloudKey, "abcdefghijklmnopqrstuvwxyz0123456789ABCD==")],
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl";
        check(&format!("Bearer {jwt}"), &[(Jwt, jwt)]);
        check("eyJub3RhbGciOjF9.eyJzdWIiOiIxMjM0In0.c2ln", &[]);
    }

    #[test]
    fn json_scan_and_redact() {
        let v =
            json!({"user": {"email": "a@example.com", "cards": ["4111111111111111"]}, "ok": 1, "x@example.org": true});
        let f = scan_json(&v);
        let paths: Vec<(&str, bool)> = f.iter().map(|f| (f.path.as_str(), f.in_key)).collect();
        assert_eq!(paths, [("/user/cards/0", false), ("/user/email", false), ("/x@example.org", true)]);
        let (r, f2) = redact(&v);
        assert_eq!(f2.len(), 3);
        assert_eq!(r["user"]["email"], "[REDACTED:email]");
        assert_eq!(r["user"]["cards"][0], "[REDACTED:payment_card]");
        assert!(r.get("[REDACTED:email]").is_some());
    }

    #[test]
    fn char_offsets_count_characters() {
        let t = "é 4111111111111111";
        let s = scan_text(t);
        assert_eq!(char_offsets(t, s[0].span()), (2, 18));
    }
}
