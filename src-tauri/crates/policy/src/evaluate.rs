//! Two-pass evaluation and replay. Pass 1 sees the action, findings and profile; pass 2 runs only when a
//! template asks for the session's history or the agent already has violations, and its facts decide.
//! Replay re-evaluates the recorded inputs on the recorded bundle and must reproduce the decision.

use crate::bundle::Bundle;
use crate::decision::{Decision, EvaluationMode};
use crate::input::{HistoryInput, PolicyInput};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("policy evaluation failed in pass {pass}: {reason}")]
    Evaluation { pass: u8, reason: String },
    #[error("the history for pass 2 could not be read: {0}")]
    History(String),
    #[error("replay of bundle {recorded} was given bundle {given}")]
    WrongBundle { recorded: String, given: String },
}

/// A decision with everything needed to replay it: the exact inputs of each pass and the bundle's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub decision: Decision,
    pub bundle_hash: String,
    pub pass1_input: PolicyInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass2_input: Option<PolicyInput>,
}

/// Decides on one action. `history` is asked for only when pass 2 runs. Any error means: deny, and record
/// why.
pub fn decide(
    bundle: &Bundle,
    mut input: PolicyInput,
    agent_has_violations: bool,
    history: impl FnOnce() -> Result<HistoryInput, String>,
) -> Result<Evaluation, PolicyError> {
    input.pass = 1;
    input.history = None;
    let first = bundle.evaluate(&input).map_err(|reason| PolicyError::Evaluation { pass: 1, reason })?;
    if !first.needs_enrichment && !agent_has_violations {
        return Ok(Evaluation {
            decision: Decision::from_pass(&first, EvaluationMode::Fast, 1),
            bundle_hash: bundle.hash().to_owned(),
            pass1_input: input,
            pass2_input: None,
        });
    }
    let mut second_input = input.clone();
    second_input.pass = 2;
    second_input.history = Some(history().map_err(PolicyError::History)?);
    let second = bundle.evaluate(&second_input).map_err(|reason| PolicyError::Evaluation { pass: 2, reason })?;
    Ok(Evaluation {
        decision: Decision::from_pass(&second, EvaluationMode::NeedsEnrichment, 2),
        bundle_hash: bundle.hash().to_owned(),
        pass1_input: input,
        pass2_input: Some(second_input),
    })
}

/// Re-evaluates a recorded evaluation's inputs on `bundle` (which must be the recorded one) and returns the
/// decision it gives now; the caller compares it with the recorded decision.
pub fn replay(bundle: &Bundle, recorded: &Evaluation) -> Result<Decision, PolicyError> {
    if bundle.hash() != recorded.bundle_hash {
        return Err(PolicyError::WrongBundle {
            recorded: recorded.bundle_hash.clone(),
            given: bundle.hash().to_owned(),
        });
    }
    let first = bundle.evaluate(&recorded.pass1_input).map_err(|reason| PolicyError::Evaluation { pass: 1, reason })?;
    match &recorded.pass2_input {
        // Had pass 1 asked for enrichment when it was recorded, pass 2 would have run: a replay whose pass 1
        // asks for it now does not reproduce (its mode differs).
        None if first.needs_enrichment => Ok(Decision::from_pass(&first, EvaluationMode::NeedsEnrichment, 1)),
        None => Ok(Decision::from_pass(&first, EvaluationMode::Fast, 1)),
        Some(input) => {
            let second = bundle.evaluate(input).map_err(|reason| PolicyError::Evaluation { pass: 2, reason })?;
            Ok(Decision::from_pass(&second, EvaluationMode::NeedsEnrichment, 2))
        }
    }
}
