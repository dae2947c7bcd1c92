//! Shared fixtures: a realistic report and the pdftotext round trip.

#![allow(dead_code)] // each test binary uses a different subset

use std::io::Write as _;
use std::process::{Command, Stdio};

use vargate_report::*;

pub const VKEY: &str = "vargate-7f3a9c/acme+3c4d5e6f+AXk2Yb0pQm9vZ2xlLXRlc3Qta2V5LWZvci12YXJnYXRlLXJlcG9ydA==";
pub const FINGERPRINT: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
pub const TX_HASH: &str = "0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060";

pub fn sample_report(timeline_rows: u64) -> Report {
    let ts = |i: u64| format!("2025-03-14T09:{:02}:{:02}.{:03}Z", (i / 60) % 60, i % 60, i % 1000);
    let kinds = ["tool_call", "tool_result", "model_turn", "approval", "anomaly"];
    let timeline = (0..timeline_rows)
        .map(|i| TimelineRow {
            seq: i,
            ts: ts(i),
            kind: kinds[(i % 5) as usize].to_owned(),
            decision: if i % 7 == 0 { "deny".to_owned() } else { "allow".to_owned() },
            summary: format!("row-{i:05} bash: ls -la /srv/data/project-{i} && cat README.md | head -n 20"),
        })
        .collect();
    Report {
        tenant: "acme".to_owned(),
        agent: "release-bot".to_owned(),
        session_id: "sess_01JQ8Z7XK4M2".to_owned(),
        period: Period { start: "2025-03-14T09:00:00Z".to_owned(), end: "2025-03-14T10:12:41Z".to_owned() },
        generated_at: "2025-03-15T08:30:00Z".to_owned(),
        counts: Counts {
            records: 4821,
            governed: 1207,
            observed: 3614,
            allowed: 1150,
            denied: 41,
            approved: 13,
            expired: 3,
            interrupts: 2,
            anomalies: 5,
        },
        controls: vec![
            ControlRow {
                id: "AGCS-1.1".to_owned(),
                title: "Every tool call is decided by policy before it runs".to_owned(),
                status: ControlStatus::Met,
                evidence: "1207 governed calls, each with a decision record preceding its execution record.".to_owned(),
            },
            ControlRow {
                id: "AGCS-2.3".to_owned(),
                title: "High-risk actions need human approval".to_owned(),
                status: ControlStatus::Partial,
                evidence: "13 approvals recorded; 3 requests expired without a decision and were denied.".to_owned(),
            },
            ControlRow {
                id: "AGCS-4.2".to_owned(),
                title: "Audit log anchored publicly".to_owned(),
                status: ControlStatus::NotEvidenced,
                evidence: "No anchor transaction for a checkpoint covering this session.".to_owned(),
            },
        ],
        timeline,
        decisions: vec![DecisionRow {
            seq: 17,
            ts: ts(17),
            tool: "bash".to_owned(),
            decision: "deny".to_owned(),
            rules: vec!["deny-destructive-shell".to_owned(), "prod-readonly".to_owned()],
            reasons: vec!["rm -rf outside the workspace".to_owned(), "target is a production host".to_owned()],
        }],
        approvals: vec![ApprovalRow {
            seq: 42,
            ts: ts(42),
            tool: "deploy".to_owned(),
            outcome: "approved".to_owned(),
            approver: "maria.keller@acme.example".to_owned(),
            channel: "slack".to_owned(),
            reason: "Scheduled release window".to_owned(),
        }],
        anomalies: vec![AnomalyRow {
            seq: 99,
            ts: ts(99),
            kind: "interrupt".to_owned(),
            detail: "Operator stopped the session from the desktop app.".to_owned(),
        }],
        proof: ProofSummary {
            origin: "vargate-7f3a9c/acme".to_owned(),
            tree_size: 48211,
            root_hex: "d2b1f3c5a7e9d0b2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7".to_owned(),
            heads_root_hex: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90".to_owned(),
            checkpoint_note: "vargate-7f3a9c/acme\n48211\n0rHzxafp0LLE5vigscPV5/mhs8XX6fCitMbY4PGjtcc=\nvargate-session-heads obLD1OX2BxgpOktcbX6PkKGyw9Tl9gcYKTpLXG1+j5A=\n\n— vargate-7f3a9c/acme PG1ebxS2bW9jayBzaWduYXR1cmUgZm9yIHRoZSByZXBvcnQgdGVzdHMgb25seSBub3QgcmVhbA==\n".to_owned(),
            anchor: Some(AnchorSummary {
                chain_id: 8453,
                tx_hash: TX_HASH.to_owned(),
                block_number: 27_410_233,
                block_hash: "0x9a3e1c0f2b4d6e8a0c2e4f6a8b0d2f4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4f6a".to_owned(),
                anchored_size: 48000,
                anchored_root_hex: "b4c6d8e0f1a3b5c7d2b1f3c5a7e9d0b2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2".to_owned(),
            }),
        },
        signing_key: SigningKey { vkey: VKEY.to_owned(), fingerprint: FINGERPRINT.to_owned() },
    }
}

pub fn empty_report() -> Report {
    Report {
        tenant: String::new(),
        agent: String::new(),
        session_id: String::new(),
        period: Period { start: String::new(), end: String::new() },
        generated_at: String::new(),
        counts: Counts::default(),
        controls: vec![],
        timeline: vec![],
        decisions: vec![],
        approvals: vec![],
        anomalies: vec![],
        proof: ProofSummary {
            origin: String::new(),
            tree_size: 0,
            root_hex: String::new(),
            heads_root_hex: String::new(),
            checkpoint_note: String::new(),
            anchor: None,
        },
        signing_key: SigningKey { vkey: String::new(), fingerprint: String::new() },
    }
}

/// How pdftotext should order the text it extracts.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `-layout`: the page as laid out, so a table row's cells share a line.
    Layout,
    /// `-raw`: content-stream order, so each cell's wrapped lines stay together.
    Raw,
}

/// Runs `pdftotext` (poppler-utils) on the PDF. Panics, never skips, when the tool is missing: these tests
/// are the only check that the text really is in the PDF.
pub fn pdftotext(pdf: &[u8], mode: Mode) -> String {
    let mut cmd = Command::new("pdftotext");
    cmd.arg(match mode {
        Mode::Layout => "-layout",
        Mode::Raw => "-raw",
    });
    let mut child = cmd
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("pdftotext is required for these tests and could not be run ({e}); install poppler-utils")
        });
    let mut stdin = child.stdin.take().expect("stdin");
    let data = pdf.to_vec();
    // Written from a thread so a large PDF cannot deadlock against pdftotext's full stdout pipe.
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("pdftotext output");
    writer.join().expect("writer thread").expect("write PDF to pdftotext");
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "pdftotext complained: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("pdftotext output is UTF-8")
}

/// Page count from pdfinfo-free means: pdftotext separates pages with form feeds.
pub fn page_count(text: &str) -> usize {
    text.matches('\u{c}').count()
}

/// Keeps a rendered PDF for looking at when `VARGATE_REPORT_DUMP` names a directory (e.g. to view its pages
/// with `pdftoppm -png`). Does nothing otherwise.
pub fn dump(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("VARGATE_REPORT_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("dump dir");
        std::fs::write(dir.join(name), pdf).expect("dump PDF");
    }
}
