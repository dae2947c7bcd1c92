//! The Policies screen's back end: the active bundle and profile, the shipped test cases run on it, and the
//! replay of a recorded decision.

use super::{Console, ConsoleError};
use serde::Serialize;
use vargate_policy::BundleFiles;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PolicyView {
    /// The bundle's content hash, as recorded with every decision.
    pub bundle_hash: String,
    pub profile: String,
    pub profile_description: String,
    /// The templates the profile combines.
    pub templates: Vec<String>,
    /// The profile's parameters, pretty-printed.
    pub params: String,
    /// Every profile the bundle offers.
    pub profiles: Vec<String>,
    /// The bundle's files (policies and profiles).
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CaseView {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplayView {
    pub action_id: String,
    pub bundle_hash: String,
    pub reproduces: bool,
    pub recorded: String,
    pub replayed: String,
}

impl Console {
    pub fn policy(&self) -> PolicyView {
        let active = self.policies.active();
        PolicyView {
            bundle_hash: active.bundle.hash().to_owned(),
            profile: active.profile.name.clone(),
            profile_description: active.profile.description.clone(),
            templates: active.profile.templates.clone(),
            params: serde_json::to_string_pretty(&active.profile.params).unwrap_or_default(),
            profiles: active.bundle.profiles().map(|p| p.name.clone()).collect(),
            files: active.bundle.files().0.keys().cloned().collect(),
        }
    }

    /// Runs the shipped test cases on the active bundle.
    pub fn test_policies(&self) -> Result<Vec<CaseView>, ConsoleError> {
        let active = self.policies.active();
        let outcomes = vargate_policy::run_case_files(&active.bundle, &BundleFiles::shipped_cases())
            .map_err(|e| ConsoleError::Invalid(e.to_string()))?;
        Ok(outcomes.into_iter().map(|o| CaseView { name: o.name, passed: o.passed, detail: o.detail }).collect())
    }

    /// Evaluates a recorded decision again on the bundle it was made with, and says whether it reproduces.
    pub async fn replay(&self, action_id: &str) -> Result<ReplayView, ConsoleError> {
        let outcome = crate::replay::replay_action(&self.store, &self.tenant, action_id)
            .await
            .map_err(|e| ConsoleError::Invalid(e.to_string()))?;
        let show = |d| serde_json::to_string_pretty(d).unwrap_or_default();
        Ok(ReplayView {
            reproduces: outcome.reproduces(),
            recorded: show(&outcome.recorded),
            replayed: show(&outcome.replayed),
            action_id: outcome.action_id,
            bundle_hash: outcome.bundle_hash,
        })
    }
}
