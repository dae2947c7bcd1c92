//! Numbers with a validator: IBANs (mod-97, per-country length), payment cards (Luhn, issuer), US SSNs, UK NI
//! numbers, phone numbers (grouping and context).

use super::{PiiKind, PiiSpan, before, byte, continues_number, is_word_byte, precedes_number, push};

regex!(PHONE, r"\+?\(?\d[\d ().\-]{5,40}\d");
regex!(CARD, r"\d(?:[ -]?\d){12,18}");
regex!(IBAN_START, r"\b[A-Z]{2}\d{2} ?[A-Z0-9]");
regex!(SSN, r"\b\d{3}-\d{2}-\d{4}\b");
regex!(NINO, r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b");

/// IBAN lengths per country (SWIFT registry).
pub(super) const IBAN_LENGTHS: &[(&str, usize)] = &[
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

pub(super) fn iban_valid(compact: &str) -> bool {
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

pub(super) fn ibans(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn luhn_valid(digits: &[u8]) -> bool {
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
pub(super) fn card_issuer_ok(d: &[u8]) -> bool {
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

pub(super) fn cards(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn ssns(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn ninos(text: &str, found: &mut Vec<PiiSpan>) {
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

pub(super) fn phone_context(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(24);
    while !text.is_char_boundary(from) && from < start {
        from += 1;
    }
    let ctx = text.get(from..start).unwrap_or_default().to_ascii_lowercase();
    ["tel", "phone", "call", "mobile", "cell", "fax", "whatsapp", "ring", "sms", "contact"]
        .iter()
        .any(|w| ctx.contains(w))
}

pub(super) fn phones(text: &str, found: &mut Vec<PiiSpan>) {
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
pub(super) fn phone_at(text: &str, s: usize, e: usize) -> Option<usize> {
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
