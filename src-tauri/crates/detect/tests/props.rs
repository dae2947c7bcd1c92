//! Hostile input: arbitrary strings never panic, and every span is in bounds and on character boundaries.

use proptest::prelude::*;
use vargate_detect::{analyse_command, char_offsets, detect_line, pii::redact, scan_text};

fn check_text(s: &str) {
    let spans = scan_text(s);
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

    #[test]
    fn piiish_text(s in r"[0-9A-Za-z +()./:@_-]{0,120}") {
        check_text(&s);
        let (_, findings) = redact(&serde_json::Value::String(s.clone()));
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
