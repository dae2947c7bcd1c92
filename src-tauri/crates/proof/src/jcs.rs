//! RFC 8785 JSON Canonicalization of a `serde_json::Value`, written straight into one buffer.
//!
//! `serde_jcs` is the reference (the tests check this against it on arbitrary values); this exists because
//! every audit record is canonicalised on the log's hot path, where `serde_jcs`'s per-member buffers and
//! boxed writers cost more than the rest of an append (see `benches/` in the store).
//!
//! RFC 8785 in brief: no whitespace; object members sorted by the UTF-16 code units of their names; strings
//! with the minimal escapes (serde_json's); numbers as IEEE doubles in ECMAScript `Number.toString` form.

use serde_json::Value;

/// NaN and infinities have no JSON form (serde_json never produces them from parsing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a number is not finite and has no canonical JSON form")]
pub struct NonFinite;

/// Appends the canonical form of `value` to `out`.
pub fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), NonFinite> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            // Members usually come in canonical order already (serde_json's default map is sorted by bytes,
            // which is RFC 8785's order for names without characters at or above U+E000): then no list is
            // built and nothing sorted.
            if in_utf8_order(map.keys()) {
                write_members(map.iter(), out)?;
            } else {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by(|(a, _), (b, _)| utf16_order(a, b));
                write_members(members.into_iter(), out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_members<'v>(
    members: impl Iterator<Item = (&'v String, &'v Value)>,
    out: &mut Vec<u8>,
) -> Result<(), NonFinite> {
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(k, out);
        out.push(b':');
        write_canonical(v, out)?;
    }
    Ok(())
}

/// Whether `names` are strictly ascending by bytes and none has a byte from 0xEE up (a character at or above
/// U+E000), so that their byte order is RFC 8785's UTF-16 order.
fn in_utf8_order<'k>(mut names: impl Iterator<Item = &'k String>) -> bool {
    let Some(mut last) = names.next() else { return true };
    if has_high_character(last) {
        return false;
    }
    for name in names {
        if name.as_bytes() <= last.as_bytes() || has_high_character(name) {
            return false;
        }
        last = name;
    }
    true
}

/// Whether `name` has a character at or above U+E000 (a UTF-8 lead byte from 0xEE up). Every byte is looked
/// at, as in [`write_string`]'s test, so that the compiler checks many at a time.
fn has_high_character(name: &str) -> bool {
    name.bytes().fold(false, |hit, c| hit | (c >= 0xEE))
}

/// The canonical form of `value` as a new buffer.
pub fn to_canonical(value: &Value) -> Result<Vec<u8>, NonFinite> {
    let mut out = Vec::with_capacity(128);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// RFC 8785 orders member names by UTF-16 code units. That is UTF-8 byte order unless one name has a
/// character at or above U+E000 (UTF-8 lead byte 0xEE and up), where surrogate pairs sort differently; only
/// then is the (slower) UTF-16 comparison needed.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    if has_high_character(a) || has_high_character(b) { a.encode_utf16().cmp(b.encode_utf16()) } else { a.cmp(b) }
}

pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) {
    // Most strings need no escape: copied whole. The test looks at every byte without stopping at the first
    // hit, which lets the compiler check 32 at a time (most strings pass it, so stopping early saves nothing).
    if !s.bytes().fold(false, |hit, c| hit | (c < 0x20) | (c == b'"') | (c == b'\\')) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // serde_json's escaping is RFC 8785's: \" \\ \b \f \n \r \t, \u00xx (lowercase) for other controls,
    // everything else as UTF-8. Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(out, s);
}

/// Integers of at most 2^53 in magnitude are exact doubles, whose ECMAScript form is their decimal digits.
const EXACT: u64 = 1 << 53;

fn write_number(n: &serde_json::Number, out: &mut Vec<u8>) -> Result<(), NonFinite> {
    if let Some(u) = n.as_u64().filter(|u| *u <= EXACT) {
        push_decimal(out, u);
        return Ok(());
    }
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= EXACT) {
        out.push(b'-');
        push_decimal(out, i.unsigned_abs());
        return Ok(());
    }
    let f = n.as_f64().filter(|f| f.is_finite()).ok_or(NonFinite)?;
    out.extend_from_slice(ryu_js::Buffer::new().format_finite(f).as_bytes());
    Ok(())
}

pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

/// Largest magnitude up to which every integer is exactly an IEEE double, and so survives RFC 8785.
pub const MAX_EXACT_INTEGER: u64 = 1 << 53;

/// The first number in `value` (depth first, members in document order) whose magnitude exceeds 2^53, with
/// its path (`usage.tokens`, `items[2]`) and its text. RFC 8785 writes numbers as IEEE doubles, so such a
/// number would be recorded as a different value than the one given (2^53 + 1 becomes 2^53).
pub fn first_inexact_number(value: &Value) -> Option<(String, String)> {
    fn walk(value: &Value, path: &mut String) -> Option<(String, String)> {
        match value {
            Value::Number(n) => {
                let exact = match (n.as_u64(), n.as_i64(), n.as_f64()) {
                    (Some(u), _, _) => u <= MAX_EXACT_INTEGER,
                    (_, Some(i), _) => i.unsigned_abs() <= MAX_EXACT_INTEGER,
                    (_, _, Some(f)) => f.abs() <= MAX_EXACT_INTEGER as f64,
                    _ => false,
                };
                (!exact).then(|| (path.clone(), n.to_string()))
            }
            Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                path.truncate(len);
                found
            }),
            Value::Object(members) => members.iter().find_map(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = walk(v, path);
                path.truncate(len);
                found
            }),
            _ => None,
        }
    }
    walk(value, &mut String::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn arbitrary_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            proptest::num::f64::NORMAL.prop_map(|f| json!(f)),
            proptest::num::f64::SUBNORMAL.prop_map(|f| json!(f)),
            Just(json!(-0.0)),
            Just(json!(1e21)),
            Just(json!(9007199254740993u64)),
            "\\PC{0,8}|[\\u{0}-\\u{1f}\"\\\\\\u{7f}\\u{2028}\\u{e000}\\u{10000}\\u{1f600}]{0,4}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec(("\\PC{0,4}|[a\\u{e000}\\u{10000}\\u{ffff}\\u{1f600}]{1,3}", inner), 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn agrees_with_serde_jcs(value in arbitrary_value()) {
            prop_assert_eq!(
                String::from_utf8(to_canonical(&value).unwrap()).unwrap(),
                String::from_utf8(serde_jcs::to_vec(&value).unwrap()).unwrap()
            );
        }
    }

    #[test]
    fn rfc8785_examples() {
        // Key order by UTF-16 code units: U+1F600 (surrogates D83D DE00) sorts before U+E000.
        let v = json!({"\u{e000}": 1, "\u{1f600}": 2, "a": [1e21, 0.000001, -0.0, 1.5e-7, 100, "\u{7f}\n"]});
        let expected = "{\"a\":[1e+21,0.000001,0,1.5e-7,100,\"\u{7f}\\n\"],\"\u{1f600}\":2,\"\u{e000}\":1}";
        assert_eq!(String::from_utf8(to_canonical(&v).unwrap()).unwrap(), expected);
    }

    #[test]
    fn numbers_beyond_2_pow_53_are_found_with_their_path() {
        let ok = serde_json::json!({"a": 9007199254740992u64, "b": -9007199254740992i64, "c": [1.5, 0.1]});
        assert_eq!(first_inexact_number(&ok), None);
        let big: Value = serde_json::from_str(r#"{"x": 1, "usage": {"tokens": [3, 9007199254740993]}}"#).unwrap();
        assert_eq!(first_inexact_number(&big), Some(("usage.tokens[1]".into(), "9007199254740993".into())));
        let huge: Value = serde_json::from_str(r#"{"n": -123456789012345678901234567890}"#).unwrap();
        assert_eq!(first_inexact_number(&huge).map(|(p, _)| p), Some("n".into()));
    }
}
