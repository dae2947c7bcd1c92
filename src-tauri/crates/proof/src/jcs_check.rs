//! Checks that bytes are exactly an RFC 8785 canonical JSON text, in one pass and without building a value:
//! no whitespace, members in strictly increasing UTF-16 order of their names (so no duplicates), strings with
//! only the minimal escapes, numbers in ECMAScript form. Agrees with "parse, re-canonicalise with
//! [`crate::jcs`], compare" on every input (property-tested below), at a fraction of its cost: the verifier
//! runs it on every leaf of a proof file.

/// serde_json's default recursion limit: deeper input does not parse as a record there either.
const MAX_DEPTH: u32 = 128;

/// True when `bytes` are the RFC 8785 canonical form of the JSON value they spell.
pub fn is_canonical(bytes: &[u8]) -> bool {
    check(bytes).is_some()
}

/// A member of a canonical object: its name and its value, as the raw canonical bytes (the name with quotes).
pub type Member<'a> = (&'a [u8], &'a [u8]);

/// When `bytes` are a canonical JSON object, its members in order, read in the same single pass that checks
/// the form: a reader needing a few top-level members then need not parse the text again.
pub fn canonical_members(bytes: &[u8]) -> Option<Vec<Member<'_>>> {
    if bytes.first() != Some(&b'{') {
        return None;
    }
    check(bytes)
}

fn check(bytes: &[u8]) -> Option<Vec<Member<'_>>> {
    // UTF-8 is checked character by character inside strings: outside them only ASCII tokens parse, and most
    // records are ASCII, which a pass over the whole text would check a second time.
    let top = if bytes.first() == Some(&b'{') { Vec::with_capacity(16) } else { Vec::new() };
    let mut p = Parser { b: bytes, i: 0, depth: 0, top };
    (p.value() && p.i == bytes.len()).then_some(p.top)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: u32,
    /// The members of the outermost object, when the text is one.
    top: Vec<Member<'a>>,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let ok = self.peek() == Some(c);
        self.i += usize::from(ok);
        ok
    }

    fn value(&mut self) -> bool {
        match self.peek() {
            Some(b'{') => self.nested(true),
            Some(b'[') => self.nested(false),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }

    fn nested(&mut self, object: bool) -> bool {
        self.depth += 1;
        let ok = self.depth <= MAX_DEPTH && if object { self.object() } else { self.array() };
        self.depth -= 1;
        ok
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let ok = self.b.get(self.i..self.i + word.len()) == Some(word);
        self.i += if ok { word.len() } else { 0 };
        ok
    }

    fn object(&mut self) -> bool {
        self.i += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<Name<'a>> = None;
        loop {
            let Some(key) = self.string() else { return false };
            if previous.is_some_and(|p| !names_increase(p, key)) {
                return false;
            }
            previous = Some(key);
            let key = key.0;
            if !self.eat(b':') {
                return false;
            }
            let start = self.i;
            if !self.value() {
                return false;
            }
            if self.depth == 1 {
                match self.b.get(start..self.i) {
                    Some(value) => self.top.push((key, value)),
                    None => return false,
                }
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self) -> bool {
        self.i += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value() {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A canonical string; returns it with its quotes, and whether it is plain ASCII without escapes.
    fn string(&mut self) -> Option<Name<'a>> {
        // A local index: the parser's own would be written back to memory after every byte.
        let b = self.b;
        let start = self.i;
        if b.get(start) != Some(&b'"') {
            return None;
        }
        let mut i = start + 1;
        let mut ascii = true;
        loop {
            i = skip_plain(b, i);
            let c = *b.get(i)?;
            i += 1;
            match c {
                b'"' => break,
                0x00..=0x1f => return None,
                0x80..=0xff => {
                    // A multi-byte character, checked on its own (see `check`).
                    let len = match c {
                        0xc2..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf4 => 4,
                        _ => return None,
                    };
                    std::str::from_utf8(b.get(i - 1..i - 1 + len)?).ok()?;
                    i += len - 1;
                    ascii = false;
                }
                b'\\' => {
                    ascii = false;
                    let e = *b.get(i)?;
                    i += 1;
                    match e {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            // Only controls without a short escape are written \u00xx (lowercase hex).
                            let hex = b.get(i..i + 4)?;
                            i += 4;
                            let value = match hex {
                                [b'0', b'0', h @ (b'0' | b'1'), l @ (b'0'..=b'9' | b'a'..=b'f')] => {
                                    (h - b'0') * 16 + if l.is_ascii_digit() { l - b'0' } else { l - b'a' + 10 }
                                }
                                _ => return None,
                            };
                            if matches!(value, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        self.i = i;
        Some((b.get(start..i)?, ascii))
    }

    fn number(&mut self) -> bool {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            p.i - from
        };
        let first = self.peek();
        let int_digits = digits(self);
        if int_digits == 0 || (first == Some(b'0') && int_digits > 1) {
            return false;
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if digits(self) == 0 {
                return false;
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            integer = false;
            let _ = self.eat(b'+') || self.eat(b'-');
            if digits(self) == 0 {
                return false;
            }
        }
        let Some(token) = self.b.get(start..self.i) else { return false };
        let Ok(text) = std::str::from_utf8(token) else { return false };
        if integer && int_digits <= 15 {
            // At most 15 digits: below 2^53, an exact double whose ECMAScript form is these digits; only "-0"
            // is spelled differently ("0").
            return text != "-0";
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => ryu_js::Buffer::new().format_finite(f).as_bytes() == token,
            _ => false,
        }
    }
}

/// From `i`, the index of the first string byte that needs attention (not ASCII, '"', '\\' or a control),
/// eight bytes at a time: most of a record is plain text, and a byte-by-byte loop was the verifier's largest
/// cost.
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte that is zero in `x`; exact for the lowest such byte, which is all we use.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let special = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
            | (x & HIGH);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

/// A member name with its quotes, and whether it is plain ASCII without escapes.
type Name<'a> = (&'a [u8], bool);

/// Whether member name `b` sorts strictly after `a` (both quoted, canonically escaped) by UTF-16 code units.
fn names_increase<'a>((a, a_ascii): Name<'a>, (b, b_ascii): Name<'a>) -> bool {
    let plain = |s: &[u8], ascii: bool| ascii || s.iter().all(|&c| c != b'\\' && c < 0xEE);
    if plain(a, a_ascii) && plain(b, b_ascii) {
        // UTF-8 byte order is code point order, which is UTF-16 order below U+E000 (compared without the
        // quotes: '"' would sort above ' ' and '!').
        // Byte by byte: names are short, and a call to memcmp cost more than the comparison.
        let inner = |s: &'a [u8]| s.get(1..s.len().saturating_sub(1)).unwrap_or_default();
        let (a, b) = (inner(a), inner(b));
        return match a.iter().zip(b).find(|(x, y)| x != y) {
            Some((x, y)) => x < y,
            None => a.len() < b.len(),
        };
    }
    match (serde_json::from_slice::<String>(a), serde_json::from_slice::<String>(b)) {
        (Ok(a), Ok(b)) => a.encode_utf16().cmp(b.encode_utf16()) == std::cmp::Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The slow definition: parse, re-canonicalise, compare.
    fn slow(bytes: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| crate::jcs::to_canonical(&v).ok())
            .is_some_and(|c| c == bytes)
    }

    #[test]
    fn known_cases() {
        for ok in [
            r#"{"a":[1e+21,0.000001,0,1.5e-7,100,"\u007f\n"],"😀":2,"":1}"#.replace("\"\":1", "\"\u{e000}\":1"),
            r#"{"a":"\u001f","b":-5,"c":9007199254740992}"#.to_owned(),
            "[]".to_owned(),
            "{}".to_owned(),
        ] {
            assert_eq!(is_canonical(ok.as_bytes()), slow(ok.as_bytes()), "{ok}");
        }
        for bad in [
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a": 1}"#,
            r#"{"a":1.0}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":1E3}"#,
            r#"{"a":9007199254740993}"#,
            r#"{"a":1e400}"#,
            "{\"a\":\"\x01\"}",
            r#"{"a":1}x"#,
        ] {
            assert!(!is_canonical(bad.as_bytes()), "{bad}");
            assert!(!slow(bad.as_bytes()), "slow agrees: {bad}");
        }
        assert!(!is_canonical(&b"[".repeat(200)));
    }

    /// UTF-8 is checked per character inside strings; anything that is not UTF-8 is refused, as the slow
    /// definition refuses it, and bytes above ASCII outside a string never parse.
    #[test]
    fn text_that_is_not_utf8_is_refused() {
        for ok in ["\"é\"", "\"日本\"", "\"😀\"", "{\"ü\":\"\u{e000}\"}", "[\"aaaaaaaaaaaaaaaaé\"]"] {
            assert!(is_canonical(ok.as_bytes()), "{ok}");
        }
        let bad: [&[u8]; 11] = [
            b"\"\xff\"",
            b"\"\xc3\"",
            b"\"\xc3(\"",
            b"\"\xc0\xaf\"",
            b"\"\xe0\x80\xaf\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\xf0\x9f\x98\"",
            b"\"aaaaaaaaaaaaaaaa\x80\"",
            b"{\"a\xe9\":1}",
            b"[1,\xc3\xa9]",
        ];
        for b in bad {
            assert!(!is_canonical(b), "{b:?}");
            assert!(!slow(b), "slow agrees: {b:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_parse_and_recanonicalise(
            text in r#"\{("[a-c\u{e000}\u{1f600}\\]{0,2}":(-?[0-9]{1,3}(\.[0-9]{1,2})?(e[+-]?[0-9])?|"[a\\\u{1}\u{7f}]{0,3}"|\[\]|null|true),?){0,4}\}"#
        ) {
            prop_assert_eq!(is_canonical(text.as_bytes()), slow(text.as_bytes()), "{}", text);
        }

        #[test]
        fn accepts_every_canonical_form(
            value in proptest::collection::btree_map("\\PC{0,4}", proptest::num::f64::NORMAL, 0..5)
        ) {
            let v = serde_json::to_value(&value).unwrap();
            let canonical = crate::jcs::to_canonical(&v).unwrap();
            prop_assert!(is_canonical(&canonical), "{}", String::from_utf8_lossy(&canonical));
        }
    }
}
