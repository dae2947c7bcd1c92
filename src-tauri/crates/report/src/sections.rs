//! The report's sections, in order. Each one renders even when it has no rows, saying so, so a reader can
//! tell "nothing happened" from "the section is missing".

use crate::fonts::Face;
use crate::layout::{Canvas, Col};
use crate::model::{AnchorSummary, Report};

const NONE: &str = "None recorded.";
/// Share of the table width for time columns: fits an RFC 3339 time with milliseconds
/// (`2025-03-14T09:00:48.048Z`) on one line at table size.
const TIME: f32 = 23.5;

/// Lays out the whole report.
pub(crate) fn render_all(c: &mut Canvas, r: &Report) {
    cover(c, r);
    c.new_page();
    controls(c, r);
    timeline(c, r);
    decisions(c, r);
    approvals(c, r);
    anomalies(c, r);
    proof(c, r);
    how_to_verify(c, r);
}

fn or_unknown(s: &str) -> &str {
    if s.trim().is_empty() { "unknown" } else { s }
}

/// Two-column "label: value" table without a header.
fn key_values(c: &mut Canvas, value_face: Face, rows: Vec<(&str, String)>) {
    let cols = [Col::new("", 28.0, Face::Bold), Col::new("", 72.0, value_face)];
    c.table(&cols, false, rows.into_iter().map(|(k, v)| vec![k.to_owned(), v]));
}

fn cover(c: &mut Canvas, r: &Report) {
    c.title("Evidence pack report");
    c.muted("Vargate Desktop: the governed record of one AI agent session, with the proofs to check it independently.");
    c.gap(6.0);
    key_values(
        c,
        Face::Regular,
        vec![
            ("Tenant", or_unknown(&r.tenant).to_owned()),
            ("Agent", or_unknown(&r.agent).to_owned()),
            ("Session", or_unknown(&r.session_id).to_owned()),
            ("Period", format!("{} – {}", or_unknown(&r.period.start), or_unknown(&r.period.end))),
            ("Generated at", or_unknown(&r.generated_at).to_owned()),
        ],
    );
    c.muted(
        "Text is printed exactly as recorded. A character the report's font cannot draw, and any invisible or \
         direction-changing character (controls, bidi overrides, zero-width characters), is shown as its \
         Unicode code point in brackets, like [U+XXXX], never hidden or obeyed.",
    );
    c.subheading("Counts");
    let n = &r.counts;
    let cols = [Col::new("Measure", 70.0, Face::Regular), Col::new("Count", 30.0, Face::Regular)];
    let rows = [
        ("Records", n.records),
        ("Governed actions", n.governed),
        ("Observed actions", n.observed),
        ("Allowed", n.allowed),
        ("Denied", n.denied),
        ("Approved", n.approved),
        ("Expired", n.expired),
        ("Interrupts", n.interrupts),
        ("Anomalies", n.anomalies),
    ];
    c.table(&cols, true, rows.iter().map(|(k, v)| vec![(*k).to_owned(), v.to_string()]));
    c.muted(
        "Governed actions went through Vargate's policy decision before they ran; observed actions were \
         recorded as they happened without a decision.",
    );
}

fn controls(c: &mut Canvas, r: &Report) {
    c.heading("AGCS v0.9 control coverage");
    c.paragraph(
        "Each status below is derived only from evidence inside this pack: a control is \"met\" when the \
         pack's records show it operating, \"partial\" when they show it for some actions but not all, and \
         \"not evidenced\" when the pack holds nothing that demonstrates it. Nothing here is self-assessed; \
         a control may be in place yet not evidenced by this session.",
    );
    if r.controls.is_empty() {
        c.paragraph(NONE);
        return;
    }
    let cols = [
        Col::new("Control", 12.0, Face::Regular),
        Col::new("Title", 27.0, Face::Regular),
        Col::new("Status", 15.0, Face::Bold),
        Col::new("Evidence", 46.0, Face::Regular),
    ];
    c.table(
        &cols,
        true,
        r.controls.iter().map(|x| vec![x.id.clone(), x.title.clone(), x.status.label().to_owned(), x.evidence.clone()]),
    );
}

fn timeline(c: &mut Canvas, r: &Report) {
    c.heading("Timeline");
    if r.timeline.is_empty() {
        c.paragraph(NONE);
        return;
    }
    let cols = [
        Col::new("Seq", 7.0, Face::Regular),
        Col::new("Time", TIME, Face::Regular),
        Col::new("Type", 13.0, Face::Regular),
        Col::new("Decision", 10.0, Face::Regular),
        Col::new("Summary", 46.5, Face::Regular),
    ];
    c.table(
        &cols,
        true,
        r.timeline
            .iter()
            .map(|x| vec![x.seq.to_string(), x.ts.clone(), x.kind.clone(), x.decision.clone(), x.summary.clone()]),
    );
}

fn decisions(c: &mut Canvas, r: &Report) {
    c.heading("Decisions");
    if r.decisions.is_empty() {
        c.paragraph(NONE);
        return;
    }
    let cols = [
        Col::new("Seq", 7.0, Face::Regular),
        Col::new("Time", TIME, Face::Regular),
        Col::new("Tool", 12.0, Face::Regular),
        Col::new("Decision", 10.0, Face::Regular),
        Col::new("Matched rules", 20.0, Face::Regular),
        Col::new("Reasons", 27.5, Face::Regular),
    ];
    let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join("\n") };
    c.table(
        &cols,
        true,
        r.decisions.iter().map(|x| {
            vec![x.seq.to_string(), x.ts.clone(), x.tool.clone(), x.decision.clone(), list(&x.rules), list(&x.reasons)]
        }),
    );
}

fn approvals(c: &mut Canvas, r: &Report) {
    c.heading("Approvals");
    if r.approvals.is_empty() {
        c.paragraph(NONE);
        return;
    }
    let cols = [
        Col::new("Seq", 7.0, Face::Regular),
        Col::new("Time", TIME, Face::Regular),
        Col::new("Tool", 11.0, Face::Regular),
        Col::new("Outcome", 10.5, Face::Regular),
        Col::new("Approver", 18.0, Face::Regular),
        Col::new("Channel", 10.0, Face::Regular),
        Col::new("Reason", 20.0, Face::Regular),
    ];
    c.table(
        &cols,
        true,
        r.approvals.iter().map(|x| {
            vec![
                x.seq.to_string(),
                x.ts.clone(),
                x.tool.clone(),
                x.outcome.clone(),
                x.approver.clone(),
                x.channel.clone(),
                x.reason.clone(),
            ]
        }),
    );
}

fn anomalies(c: &mut Canvas, r: &Report) {
    c.heading("Anomalies and interrupts");
    if r.anomalies.is_empty() {
        c.paragraph("None recorded: no anomaly was detected and the session was not interrupted.");
        return;
    }
    let cols = [
        Col::new("Seq", 7.0, Face::Regular),
        Col::new("Time", TIME, Face::Regular),
        Col::new("Kind", 16.0, Face::Regular),
        Col::new("Detail", 53.5, Face::Regular),
    ];
    c.table(
        &cols,
        true,
        r.anomalies.iter().map(|x| vec![x.seq.to_string(), x.ts.clone(), x.kind.clone(), x.detail.clone()]),
    );
}

fn proof(c: &mut Canvas, r: &Report) {
    let p = &r.proof;
    c.heading("Proof summary");
    key_values(
        c,
        Face::Mono,
        vec![
            ("Log origin", or_unknown(&p.origin).to_owned()),
            ("Tree size", p.tree_size.to_string()),
            ("Root hash", or_unknown(&p.root_hex).to_owned()),
            ("Session-heads root", or_unknown(&p.heads_root_hex).to_owned()),
        ],
    );
    c.subheading("Signed checkpoint");
    if p.checkpoint_note.is_empty() {
        c.paragraph("No checkpoint note in this pack.");
    } else {
        c.code(&p.checkpoint_note, 0.0);
    }
    c.subheading("Anchor");
    match &p.anchor {
        None => c.paragraph("Not anchored: this checkpoint has not been published on a chain."),
        Some(a) => anchor(c, a),
    }
}

fn anchor(c: &mut Canvas, a: &AnchorSummary) {
    key_values(
        c,
        Face::Mono,
        vec![
            ("Chain id", a.chain_id.to_string()),
            ("Transaction", or_unknown(&a.tx_hash).to_owned()),
            ("Block", format!("{} {}", a.block_number, a.block_hash)),
            ("Anchored size", a.anchored_size.to_string()),
            ("Anchored root", or_unknown(&a.anchored_root_hex).to_owned()),
        ],
    );
}

const CHECKS: [(&str, &str); 8] = [
    (
        "manifest signature",
        "The pack's manifest, which lists every file and its hash, is signed by the log's key. Proves the pack \
         was assembled by the key holder.",
    ),
    (
        "file hashes",
        "Every file in the pack hashes to the value in the signed manifest: nothing was added, removed or altered.",
    ),
    (
        "checkpoint signature",
        "The checkpoint (a C2SP signed note of the log's origin, size and Merkle root) carries a valid \
         signature by the pinned key.",
    ),
    (
        "inclusion proofs",
        "Each of the session's records is, byte for byte, a leaf of the Merkle tree the checkpoint commits to \
         (RFC 6962 audit paths).",
    ),
    (
        "session chain",
        "Each record links to the hash of the session's previous record: none reordered, inserted or dropped.",
    ),
    (
        "session complete",
        "The checkpoint's session-heads root commits to this session's last record, so records cannot have \
         been cut from the end.",
    ),
    (
        "consistency to anchor",
        "An RFC 6962 consistency proof shows the anchored tree is a prefix of the checkpoint's tree: the log \
         only grew after it was anchored.",
    ),
    (
        "anchor transaction",
        "With --rpc, the anchoring transaction is looked up on chain and must exist in the stated block and \
         carry the anchored size and root.",
    ),
];

fn how_to_verify(c: &mut Canvas, r: &Report) {
    c.heading("How to verify");
    let vkey = if r.signing_key.vkey.trim().is_empty() { "<verifier key>" } else { r.signing_key.vkey.as_str() };
    c.paragraph(
        "1. Run the offline verifier on the evidence pack, pinning the log's verifier key (one command line; \
         it is wrapped here only to fit the page):",
    );
    c.code(&format!("vargate verify pack.zip --key '{vkey}'"), 14.0);
    if r.signing_key.vkey.trim().is_empty() {
        c.indented(
            "This report carries no verifier key: get it from the log's operator (`vargate log key --tenant T` \
             prints it) and check its fingerprint as in step 4.",
            14.0,
        );
    }
    c.indented(
        "Add --rpc URL (a JSON-RPC endpoint of the anchoring chain) to also check the anchor transaction on chain:",
        14.0,
    );
    c.code(&format!("vargate verify pack.zip --key '{vkey}' --rpc URL"), 14.0);
    c.paragraph("2. What each check means:");
    let cols = [Col::new("Check", 25.0, Face::Mono), Col::new("Meaning", 75.0, Face::Regular)];
    c.table(&cols, true, CHECKS.iter().map(|(k, v)| vec![(*k).to_owned(), (*v).to_owned()]));
    c.paragraph(
        "3. You do not need Vargate's software to check the proofs: proof.json alone can be verified by any \
         third-party tool that follows docs/proof-format.md (RFC 6962 Merkle proofs and C2SP signed-note \
         checkpoints).",
    );
    c.paragraph(
        "4. Before trusting the key, compare its fingerprint with the one the log's operator gives you out of \
         band (read it to each other by phone, or compare in person):",
    );
    c.code(or_unknown(&r.signing_key.fingerprint), 14.0);
}
