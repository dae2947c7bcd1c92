//! Addresses: e-mail, IPv4 (not version numbers), IPv6.

use super::{PiiKind, PiiSpan, before, byte, continues_number, precedes_number, push};

regex!(
    EMAIL,
    r"(?i)[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.[a-z]{2,24}\b"
);
regex!(IPV4, r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b");
regex!(IPV6, r"(?i)(?:[0-9a-f]{1,4}|:)(?::[0-9a-f]{0,4}){2,7}(?:%[0-9a-z]+)?");
/// File extensions that look like top-level domains in `icon@2x.png`.
pub(super) const FILE_TLDS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "js", "ts", "css", "map", "json", "html", "txt", "md", "rs",
    "py", "rb", "go", "java", "yml", "yaml", "toml", "lock", "zip", "gz", "tar", "pdf", "mp4", "woff", "woff2",
];

pub(super) fn emails(text: &str, found: &mut Vec<PiiSpan>) {
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
pub(super) fn version_context(text: &str, start: usize) -> bool {
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

pub(super) fn ipv4s(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn ipv6s(text: &str, found: &mut Vec<PiiSpan>) {
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
