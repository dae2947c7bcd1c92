//! Any bytes given to the detectors (as lossy UTF-8) yield results, never a panic, and every span lies on
//! character boundaries of the input; the prefiltered PII scan finds exactly what the exhaustive one does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vargate_detect::{analyse_command, detect_line, scan_text};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let spans = scan_text(&s);
    assert_eq!(spans, vargate_detect::pii::scan_text_exhaustive(&s), "the prefilter changed the result");
    for sp in spans {
        assert!(sp.start < sp.end && s.is_char_boundary(sp.start) && s.is_char_boundary(sp.end));
    }
    for f in analyse_command(&s).findings {
        assert!(f.evidence.end <= s.len() && s.is_char_boundary(f.evidence.start) && s.is_char_boundary(f.evidence.end));
    }
    let _ = detect_line(&s);
    let _ = detect_line(&serde_json::json!({"id": 0, "command": s}).to_string());
    let _ = detect_line(&serde_json::json!({"id": 0, "text": s}).to_string());
});
