//! The JSON Lines evaluation interface: one input object per line, one result object per line.
//!
//! Input: `{"id": <any JSON>, "command": "…"}` or `{"id": …, "text": "…"}`. Output:
//! `{"id", "flagged", "category", "score", "spans": [{"type", "start", "end"}]}` with offsets in CHARACTERS of
//! the input string. For a command, `category` is that of the highest-scoring finding and the spans are the
//! evidence of findings at or above [`FLAG_THRESHOLD`] (both empty / null when the
//! command is not flagged); for text, `category` is the first PII kind and the spans are the PII spans.

use serde_json::{Value, json};

use crate::command::{FLAG_THRESHOLD, analyse_command};
use crate::pii::scan_text;
use crate::{Span, char_offsets};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectLineError {
    #[error("line is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("line is not a JSON object")]
    NotAnObject,
    #[error("line has neither a string \"command\" nor a string \"text\"")]
    NoInput,
}

/// Runs the detectors on one JSON line and returns one JSON line (without a trailing newline).
pub fn detect_line(line: &str) -> Result<String, DetectLineError> {
    let v: Value = serde_json::from_str(line)?;
    let obj = v.as_object().ok_or(DetectLineError::NotAnObject)?;
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let out = if let Some(cmd) = obj.get("command").and_then(Value::as_str) {
        let a = analyse_command(cmd);
        let flagged = a.flagged();
        let category = if flagged { a.top().map(|f| f.category.as_str()) } else { None };
        let spans: Vec<Value> = a
            .findings
            .iter()
            .filter(|f| flagged && f.score >= FLAG_THRESHOLD)
            .map(|f| {
                let (s, e) = char_offsets(cmd, f.evidence);
                json!({"type": f.category.as_str(), "start": s, "end": e})
            })
            .collect();
        json!({"id": id, "flagged": flagged, "category": category, "score": a.score, "spans": spans})
    } else if let Some(text) = obj.get("text").and_then(Value::as_str) {
        let found = scan_text(text);
        let score = found.iter().map(|s| s.kind.severity()).max().unwrap_or(0);
        let spans: Vec<Value> = found
            .iter()
            .map(|s| {
                let (a, b) = char_offsets(text, Span::new(s.start, s.end));
                json!({"type": s.kind.as_str(), "start": a, "end": b})
            })
            .collect();
        json!({"id": id, "flagged": !found.is_empty(), "category": found.first().map(|s| s.kind.as_str()), "score": score, "spans": spans})
    } else {
        return Err(DetectLineError::NoInput);
    };
    Ok(out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Value) {
        let got: Value = serde_json::from_str(&detect_line(input).unwrap()).unwrap();
        assert_eq!(got, expect, "{input}");
    }

    #[test]
    fn commands_and_text() {
        check(
            r#"{"id": 1, "command": "ls -la"}"#,
            json!({"id": 1, "flagged": false, "category": null, "score": 0, "spans": []}),
        );
        check(
            r#"{"id": "é", "text": "é a@example.com"}"#,
            json!({"id": "é", "flagged": true, "category": "email", "score": 50, "spans": [{"type": "email", "start": 2, "end": 15}]}),
        );
        let out: Value = serde_json::from_str(&detect_line(r#"{"id": [1], "command": "rm -rf /"}"#).unwrap()).unwrap();
        assert_eq!(out["category"], "destructive");
        assert_eq!(out["spans"][0], json!({"type": "destructive", "start": 0, "end": 8}));
    }

    #[test]
    fn errors() {
        assert!(matches!(detect_line("nope"), Err(DetectLineError::Json(_))));
        assert!(matches!(detect_line("[1]"), Err(DetectLineError::NotAnObject)));
        assert!(matches!(detect_line(r#"{"id": 1}"#), Err(DetectLineError::NoInput)));
    }
}
