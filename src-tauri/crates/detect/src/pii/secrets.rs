//! Secrets: private keys, JWTs, passwords in URLs, API tokens, cloud keys.

use super::{PiiKind, PiiSpan, byte, push, simple};
use base64::Engine as _;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

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

pub(super) fn private_keys(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn jwts(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn passwords_in_urls(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn tokens(text: &str, found: &mut Vec<PiiSpan>) {
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

/// A pattern whose key is its first capture group.
fn captured_keys(r: &LazyLock<Option<Regex>>, text: &str, found: &mut Vec<PiiSpan>) {
    if let Some(r) = r.as_ref() {
        for c in r.captures_iter(text) {
            if let Some(g) = c.get(1) {
                push(found, PiiKind::CloudKey, g.start(), g.end());
            }
        }
    }
}

pub(super) fn gcp_key_ids(text: &str, found: &mut Vec<PiiSpan>) {
    captured_keys(&GCP_KEY_ID, text, found);
}

pub(super) fn azure_keys(text: &str, found: &mut Vec<PiiSpan>) {
    captured_keys(&AZURE_KEY, text, found);
}

pub(super) fn aws_secrets(text: &str, found: &mut Vec<PiiSpan>) {
    captured_keys(&AWS_SECRET, text, found);
}

pub(super) fn aws_access_keys(text: &str, found: &mut Vec<PiiSpan>) {
    simple(&AWS_KEY, text, PiiKind::AwsAccessKey, found);
}

pub(super) fn google_api_keys(text: &str, found: &mut Vec<PiiSpan>) {
    if let Some(r) = GOOGLE_API_KEY.as_ref() {
        for m in r.find_iter(text) {
            let next = byte(text, m.end());
            if !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                push(found, PiiKind::CloudKey, m.start(), m.end());
            }
        }
    }
}
