//! Hostile input: arbitrary strings never panic, and every span is in bounds and on character boundaries.

use proptest::prelude::*;
use vargate_detect::pii::{json_has_pii, redact, scan_text_exhaustive};
use vargate_detect::{analyse_command, char_offsets, detect_line, scan_text};

fn check_text(s: &str) {
    let spans = scan_text(s);
    assert_eq!(spans, scan_text_exhaustive(s), "the prefilter changed the result for {s:?}");
    let mut last_end = 0;
    for sp in &spans {
        assert!(sp.start < sp.end && sp.end <= s.len(), "{sp:?} in {s:?}");
        assert!(s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end), "{sp:?} in {s:?}");
        assert!(sp.start >= last_end, "overlap or unsorted: {spans:?}");
        last_end = sp.end;
        let (a, b) = char_offsets(s, sp.span());
        assert!(a < b && b <= s.chars().count());
    }
}

fn check_command(s: &str) {
    let a = analyse_command(s);
    assert!(a.score <= 100);
    for f in &a.findings {
        assert!(f.evidence.start <= f.evidence.end && f.evidence.end <= s.len(), "{f:?} in {s:?}");
        assert!(s.is_char_boundary(f.evidence.start) && s.is_char_boundary(f.evidence.end), "{f:?} in {s:?}");
        assert!(f.score <= 100);
    }
}

/// One of each kind the PII scan finds (the unit tests' examples).
const FINDINGS: &[&str] = &[
    "pay 4111 1111 1111 1111 now",
    "amex 378282246310005",
    "visa13 4222222222222.",
    "to DE89 3704 0044 0532 0130 00 ok",
    "GB29NWBK60161331926819",
    "ssn 536-22-1042",
    "nino AB 12 34 56 C and AB123456C",
    "host 10.0.0.1 up",
    "addr 2001:db8::1 and fe80::1:2:3 and ::1",
    "mail a.b+c@example.co.uk.",
    "call +44 20 7946 0958 today",
    "call (415) 555-0132",
    "tel 555.123.4567",
    "phone: 07911123456",
    "key AKIAIOSFODNN7EXAMPLE",
    "t ghp_8fK2mQ9xLp3vR7tY1wZ4cB6nD0eH5jA2sU9i",
    "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl",
    "postgres://app:hunter22@db:5432/x",
    "AccountKey=abcdefghijklmnopqrstuvwxyz0123456789ABCD==;",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1",
    "\"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\"",
    "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "xoxb-1234567890-abcdefghij",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "٤١١١ ١١١١ ١١١١ ١١١١ and AB ١٢ ٣٤ ٥٦ C",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text(s in any::<String>()) {
        check_text(&s);
        check_command(&s);
        let _ = detect_line(&s);
    }

    #[test]
    fn shellish_text(s in r#"[a-z0-9 $'"\\|&;()<>{}`=/.~*@:#!\n\t-]{0,120}"#) {
        check_command(&s);
        check_text(&s);
        let line = serde_json::json!({"id": 1, "command": s}).to_string();
        prop_assert!(detect_line(&line).is_ok());
    }

    /// Pieces of real findings, cut anywhere and set in noise: the texts nearest the prefilter's thresholds
    /// (a card one digit short, an address with two dots) are where a wrong threshold would show.
    #[test]
    fn cut_findings(
        sample in prop::sample::select(FINDINGS),
        cut in (0usize..80, 0usize..80),
        noise in (r"[0-9A-Za-z .:=@-]{0,6}", r"[0-9A-Za-z .:=@-]{0,6}"),
    ) {
        let (a, b) = (cut.0.min(sample.len()), cut.1.min(sample.len()));
        let piece = sample.get(a.min(b)..a.max(b)).unwrap_or(sample);
        check_text(&format!("{}{piece}{}", noise.0, noise.1));
        check_text(piece);
    }

    /// Digits, separators, hex and non-ASCII digits densely mixed: the runs the prefilter counts.
    #[test]
    fn runs_of_digits_and_separators(s in r"[0-9a-fA-F:.+() =-٣]{0,60}") {
        check_text(&s);
    }

    #[test]
    fn piiish_text(s in r"[0-9A-Za-z +()./:@_-]{0,120}") {
        check_text(&s);
        let (_, findings) = redact(&serde_json::Value::String(s.clone()));
        prop_assert_eq!(json_has_pii(&serde_json::json!({"k": [s.clone()]})), !findings.is_empty());
        prop_assert_eq!(findings.iter().map(|f| f.spans.len()).sum::<usize>(), scan_text(&s).len());
    }
}

#[test]
fn pathological_inputs() {
    for s in [
        "$(".repeat(2000),
        "`".repeat(3001),
        "(".repeat(5000),
        "{ ".repeat(5000),
        "bash -c ".repeat(500) + "'rm -rf /'",
        "echo ".to_owned() + &"QUFB".repeat(5000) + " | base64 -d | sh",
        "a".repeat(100_000),
        "1 ".repeat(50_000),
        "é\u{0}\u{ffff}€𝄞 $'\\xff\\x41' \"$(é)\"".to_owned(),
        "<<".repeat(1000),
        "eval ".repeat(1000) + "x",
    ] {
        check_command(&s);
        check_text(&s);
    }
}

/// Deeply nested groups and substitutions must not exhaust the stack: recursion is bounded by depth, not by
/// the input's nesting.
#[test]
fn deep_nesting_is_bounded() {
    for (open, close) in [("(", ")"), ("{ ", "; }"), ("$(", ")"), ("\"$(", ")\"")] {
        let s = format!("{}ls{}", open.repeat(20_000), close.repeat(20_000));
        check_command(&s);
    }
}
