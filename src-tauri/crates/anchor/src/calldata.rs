//! The on-chain encoding of a checkpoint commitment: the transaction's calldata.
//!
//! ```text
//! vargate-anchor/1\n
//! <origin>\n
//! <tree size, decimal>\n
//! <root, standard base64 with padding>\n
//! ```
//!
//! That is a tag line followed by the first three lines of the C2SP `tlog-checkpoint` body
//! (<https://c2sp.org/tlog-checkpoint>). Plain ASCII rather than ABI encoding, so that any block explorer's
//! "view input as UTF-8" shows what was anchored, and so that a checker needs no ABI or contract: the bytes
//! are the whole statement. The tag versions the format; a different layout gets a different tag.
//!
//! [`decode`] is strict, so that one commitment has exactly one encoding: the exact tag, exactly four lines,
//! a canonical decimal size (no sign, no leading zeros), canonical base64 of exactly 32 bytes, and a
//! non-empty origin without newlines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::AnchorError;

/// The first line of every `vargate-anchor/1` calldata.
pub const TAG: &str = "vargate-anchor/1";

/// What an anchor commits to: a log's identity, size and Merkle root (RFC 6962 tree head).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Commitment {
    /// The log's origin line (the checkpoint's first line).
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The RFC 6962 root hash; lowercase hex (64 characters, no `0x`) in JSON, as in Vargate proof files.
    #[serde(with = "root_hex")]
    pub root: [u8; 32],
}

impl Commitment {
    /// Checks that the commitment can be encoded unambiguously (non-empty origin, no newline in it).
    pub fn validate(&self) -> Result<(), AnchorError> {
        validate_origin(&self.origin)
    }
}

/// The calldata bytes for `c`. Only meaningful for a commitment that passes [`Commitment::validate`]; an
/// origin with a newline would encode to bytes that [`decode`] rejects.
pub fn encode(c: &Commitment) -> Vec<u8> {
    format!("{TAG}\n{}\n{}\n{}\n", c.origin, c.size, B64.encode(c.root)).into_bytes()
}

/// Parses calldata written by [`encode`]; rejects anything else (see the module docs for the rules).
pub fn decode(bytes: &[u8]) -> Result<Commitment, AnchorError> {
    let bad = |why: &str| AnchorError::Calldata(why.to_owned());
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text"))?;
    let body = text.strip_suffix('\n').ok_or_else(|| bad("does not end in a newline"))?;
    let mut lines = body.split('\n');
    let tag = lines.next().unwrap_or_default();
    if tag != TAG {
        return Err(AnchorError::Calldata(format!("first line is {tag:?}, not {TAG:?}")));
    }
    let origin = lines.next().ok_or_else(|| bad("missing origin line"))?;
    validate_origin(origin)?;
    let size = parse_size(lines.next().ok_or_else(|| bad("missing tree size line"))?)?;
    let root = parse_root(lines.next().ok_or_else(|| bad("missing root line"))?)?;
    if lines.next().is_some() {
        return Err(bad("extra lines after the root"));
    }
    Ok(Commitment { origin: origin.to_owned(), size, root })
}

fn validate_origin(origin: &str) -> Result<(), AnchorError> {
    if origin.is_empty() {
        return Err(AnchorError::Calldata("empty origin".to_owned()));
    }
    if origin.contains('\n') {
        return Err(AnchorError::Calldata("origin contains a newline".to_owned()));
    }
    Ok(())
}

fn parse_size(line: &str) -> Result<u64, AnchorError> {
    // u64::from_str alone would accept "+5" and "007"; one size must have one spelling.
    let canonical =
        !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) && (line == "0" || !line.starts_with('0'));
    if !canonical {
        return Err(AnchorError::Calldata(format!("tree size {line:?} is not a canonical decimal number")));
    }
    line.parse::<u64>().map_err(|_| AnchorError::Calldata(format!("tree size {line:?} is out of range")))
}

fn parse_root(line: &str) -> Result<[u8; 32], AnchorError> {
    let bytes = B64.decode(line).map_err(|_| AnchorError::Calldata("root is not standard base64".to_owned()))?;
    let root: [u8; 32] = bytes.try_into().map_err(|_| AnchorError::Calldata("root is not 32 bytes".to_owned()))?;
    // The standard engine already rejects missing padding and stray trailing bits; re-encoding makes the
    // "one encoding" rule explicit rather than a property of the base64 crate's configuration.
    if B64.encode(root) != line {
        return Err(AnchorError::Calldata("root is not canonical base64".to_owned()));
    }
    Ok(root)
}

/// `[u8; 32]` as 64 lowercase hex characters.
pub(crate) mod root_hex {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(root: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(root))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut root = [0u8; 32];
        if s.len() != 64 {
            return Err(D::Error::custom("root must be 64 hex characters"));
        }
        hex::decode_to_slice(&s, &mut root).map_err(|_| D::Error::custom("root is not hex"))?;
        Ok(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Commitment {
        Commitment { origin: "vargate.local/log/abc".to_owned(), size: 42, root: [7u8; 32] }
    }

    #[test]
    fn encodes_as_documented() {
        let text = String::from_utf8(encode(&sample())).unwrap();
        assert_eq!(text, format!("vargate-anchor/1\nvargate.local/log/abc\n42\n{}\n", B64.encode([7u8; 32])));
    }

    #[test]
    fn round_trips_including_edge_sizes() {
        for size in [0, 1, 10, u64::MAX] {
            let c = Commitment { size, ..sample() };
            assert_eq!(decode(&encode(&c)).unwrap(), c);
        }
    }

    #[test]
    fn rejects_non_canonical_or_foreign_bytes() {
        let root = B64.encode([7u8; 32]);
        let cases: Vec<(String, &str)> = vec![
            (format!("vargate-anchor/2\no\n1\n{root}\n"), "first line"),
            (format!("Vargate-anchor/1\no\n1\n{root}\n"), "first line"),
            (format!("vargate-anchor/1\no\n1\n{root}"), "newline"),
            (format!("vargate-anchor/1\no\n1\n{root}\n\n"), "extra lines"),
            (format!("vargate-anchor/1\no\n1\n{root}\nextension\n"), "extra lines"),
            (format!("vargate-anchor/1\n\n1\n{root}\n"), "empty origin"),
            (format!("vargate-anchor/1\no\n01\n{root}\n"), "canonical decimal"),
            (format!("vargate-anchor/1\no\n+1\n{root}\n"), "canonical decimal"),
            (format!("vargate-anchor/1\no\n\n{root}\n"), "canonical decimal"),
            (format!("vargate-anchor/1\no\n-0\n{root}\n"), "canonical decimal"),
            (format!("vargate-anchor/1\no\n18446744073709551616\n{root}\n"), "out of range"),
            (format!("vargate-anchor/1\no\n1\n{}\n", B64.encode([7u8; 31])), "32 bytes"),
            (format!("vargate-anchor/1\no\n1\n{}\n", root.trim_end_matches('=')), "base64"),
            (format!("vargate-anchor/1\no\n1\n{}\n", hex::encode([7u8; 32])), "32 bytes"),
            (format!("vargate-anchor/1\no\n1\n{}\n", "!".repeat(44)), "base64"),
            (format!("vargate-anchor/1\no\n1\n{}\n", with_trailing_bits(&root)), "base64"),
            ("vargate-anchor/1\no\n1\n".to_owned(), "missing root"),
            ("vargate-anchor/1\no\n".to_owned(), "missing tree size"),
            ("vargate-anchor/1\n".to_owned(), "missing origin"),
            (String::new(), "newline"),
        ];
        for (text, why) in cases {
            let err = decode(text.as_bytes()).expect_err(&text).to_string();
            assert!(err.contains(why), "{text:?}: {err}");
        }
        assert!(decode(&[0xff, 0xfe, b'\n']).unwrap_err().to_string().contains("UTF-8"));
    }

    /// The same 32 bytes with the 2 unused low bits of the last base64 digit set: decodes, but not canonical.
    fn with_trailing_bits(root: &str) -> String {
        let (head, tail) = root.split_at(42);
        let last = tail.as_bytes()[0];
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let value = alphabet.find(last as char).unwrap();
        format!("{head}{}=", &alphabet[(value | 1)..=(value | 1)])
    }

    #[test]
    fn validate_catches_unencodable_origins() {
        assert!(Commitment { origin: String::new(), ..sample() }.validate().is_err());
        assert!(Commitment { origin: "a\nb".to_owned(), ..sample() }.validate().is_err());
        assert!(sample().validate().is_ok());
    }

    #[test]
    fn json_root_is_lowercase_hex() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["root"], hex::encode([7u8; 32]));
        let back: Commitment = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample());
        let short = serde_json::json!({"origin": "o", "size": 1, "root": "0707"});
        assert!(serde_json::from_value::<Commitment>(short).is_err());
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let valid = encode(&sample());
        for cut in 0..valid.len() {
            let _ = decode(&valid[..cut]);
        }
        let mut x: u32 = 0x1234_5678;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let mut garbled = valid.clone();
            let i = x as usize % garbled.len();
            garbled[i] = (x >> 8) as u8;
            let _ = decode(&garbled);
        }
    }
}
