//! `vargate replay`: a recorded decision re-evaluated on the bundle that made it (AGCS AG-2.8). The decision
//! record carries the exact input of each pass and the bundle's hash; the bundle's files are in the same
//! log, recorded when it was first used. The replay must reproduce the recorded decision.

use crate::governor::POLICY_BUNDLE;
use crate::ingest::DECISION;
use serde_json::Value;
use vargate_policy::{Bundle, BundleFiles, Decision, Evaluation};
use vargate_store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no decision with action id \"{0}\" in this tenant's log")]
    UnknownAction(String),
    #[error("decision {action_id} was a deny on a fault ({cause}): no policy evaluation to replay")]
    Fault { action_id: String, cause: String },
    #[error("the decision record of {0} lacks its evaluation: {1}")]
    Malformed(String, String),
    #[error("the log has no policy bundle with hash {0}")]
    MissingBundle(String),
    #[error("the recorded bundle {hash} no longer loads: {reason}")]
    BadBundle { hash: String, reason: String },
    #[error("replaying failed: {0}")]
    Policy(#[from] vargate_policy::PolicyError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOutcome {
    pub action_id: String,
    /// Leaf index of the decision record.
    pub index: u64,
    pub bundle_hash: String,
    pub recorded: Decision,
    pub replayed: Decision,
}

impl ReplayOutcome {
    pub fn reproduces(&self) -> bool {
        self.recorded == self.replayed
    }
}

pub async fn replay_action(store: &Store, tenant: &str, action_id: &str) -> Result<ReplayOutcome, ReplayError> {
    let found = store.find_records(tenant, DECISION, "action_id", action_id, 1).await?;
    let entry = found.into_iter().next().ok_or_else(|| ReplayError::UnknownAction(action_id.to_owned()))?;
    let payload = &entry.record.payload;
    if let Some(cause) = payload.get("fault").and_then(Value::as_str) {
        return Err(ReplayError::Fault { action_id: action_id.to_owned(), cause: cause.to_owned() });
    }
    let malformed = |what: String| ReplayError::Malformed(action_id.to_owned(), what);
    let evaluation = payload.get("evaluation").cloned().ok_or_else(|| malformed("no evaluation".into()))?;
    let recorded: Decision = serde_json::from_value(payload.get("policy").cloned().unwrap_or(Value::Null))
        .map_err(|e| malformed(format!("policy: {e}")))?;
    let mut evaluation = evaluation;
    if let Some(object) = evaluation.as_object_mut() {
        object.insert("decision".into(), serde_json::to_value(&recorded).unwrap_or(Value::Null));
    }
    let evaluation: Evaluation = serde_json::from_value(evaluation).map_err(|e| malformed(e.to_string()))?;
    let hash = evaluation.bundle_hash.clone();
    let bundles = store.find_records(tenant, POLICY_BUNDLE, "hash", &hash, 1).await?;
    let bundle_record = bundles.into_iter().next().ok_or_else(|| ReplayError::MissingBundle(hash.clone()))?;
    let files: BundleFiles =
        serde_json::from_value(bundle_record.record.payload.get("files").cloned().unwrap_or(Value::Null))
            .map_err(|e| ReplayError::BadBundle { hash: hash.clone(), reason: e.to_string() })?;
    if files.hash() != hash {
        return Err(ReplayError::BadBundle { hash, reason: "its files do not hash to it".into() });
    }
    let bundle =
        Bundle::compile(files).map_err(|e| ReplayError::BadBundle { hash: hash.clone(), reason: e.to_string() })?;
    let replayed = vargate_policy::replay(&bundle, &evaluation)?;
    Ok(ReplayOutcome { action_id: action_id.to_owned(), index: entry.index, bundle_hash: hash, recorded, replayed })
}
