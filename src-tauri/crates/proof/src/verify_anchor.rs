//! The anchor of a `vargate-proof/3` file: the anchored checkpoint (signed by the same log key), a
//! consistency proof from it to the file's checkpoint, and the anchoring transaction. This crate knows no
//! EVM, so the transaction itself is checked by the caller's [`AnchorCheck`] (the anchoring crate's).

use crate::checkpoint::Checkpoint;
use crate::merkle;
use crate::note::NoteVerifier;
use crate::verify::{Check, decode_hash, signed_by};
use crate::view::AnchorView;

/// Checks an anchor's evidence (e.g. a raw EVM transaction) against the checkpoint it claims to anchor.
pub trait AnchorCheck {
    /// `Ok` with the evidence of what was checked, or `Err` with why it does not hold.
    fn check(&self, evidence: &serde_json::Value, anchored: &Checkpoint) -> Result<String, String>;
}

pub(crate) fn check_anchor(
    anchor: Option<&AnchorView<'_>>,
    key: Option<&NoteVerifier>,
    checkpoint: Option<&Checkpoint>,
    anchor_check: Option<&dyn AnchorCheck>,
    checks: &mut Vec<Check>,
) {
    let Some(anchor) = anchor else {
        checks.push(Check::warn(
            "anchor",
            "the file carries no anchor: that the log was in this state by some time rests on the log key's \
             signature alone",
        ));
        return;
    };
    let Some(note) = signed_by(&anchor.checkpoint, key, "anchored checkpoint", checks) else {
        return;
    };
    let anchored = match Checkpoint::parse_text(&note.text) {
        Ok(cp) => cp,
        Err(e) => {
            checks.push(Check::fail("anchored checkpoint", e.to_string()));
            return;
        }
    };
    checks.push(Check::of("consistency to anchor", consistency(anchor, &anchored, checkpoint)));
    let transaction = match anchor_check {
        Some(checker) => Check::of("anchor transaction", checker.check(&anchor.evidence, &anchored)),
        None => Check::warn(
            "anchor transaction",
            "not checked: this verifier reads no EVM transactions (`vargate verify` does)",
        ),
    };
    checks.push(transaction);
}

fn consistency(
    anchor: &AnchorView<'_>,
    anchored: &Checkpoint,
    checkpoint: Option<&Checkpoint>,
) -> Result<String, String> {
    let cp = checkpoint.ok_or("no trusted checkpoint to check against")?;
    if anchored.origin != cp.origin {
        return Err(format!("the anchored checkpoint is of log {:?}, not {:?}", anchored.origin, cp.origin));
    }
    let proof = anchor
        .consistency_proof
        .iter()
        .enumerate()
        .map(|(i, h)| decode_hash(h).map_err(|e| format!("consistency_proof[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    merkle::verify_consistency(anchored.size, cp.size, &proof, &anchored.root, &cp.root).map_err(|e| {
        format!("the tree of size {} does not extend the anchored tree of size {}: {e}", cp.size, anchored.size)
    })?;
    Ok(format!(
        "the tree of size {} extends the anchored tree of size {} (root {}; {} proof hashes)",
        cp.size,
        anchored.size,
        hex::encode(anchored.root),
        proof.len()
    ))
}
