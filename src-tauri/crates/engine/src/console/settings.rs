//! What a reviewer can set in the app, kept in `settings.json` in the data directory (no secrets: the API key
//! lives in the keychain). A console reads them when it starts; changing them starts a new console.

use super::{Console, ConsoleError};
use crate::policy_set::{PolicySet, ProfileChoice};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FILE: &str = "settings.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The tenant the API's sessions are recorded under (demo mode always uses `demo`).
    #[serde(default)]
    pub tenant: Option<String>,
    /// The governance profile that decides; `None`: `demo` in demo mode, `default` against the API.
    #[serde(default)]
    pub profile: Option<String>,
    /// Anchor checkpoints on this EVM JSON-RPC endpoint (with `anchor_chain_id`); `None`: no anchoring.
    #[serde(default)]
    pub anchor_rpc: Option<String>,
    #[serde(default)]
    pub anchor_chain_id: Option<u32>,
    /// Raise a desktop notification for each approval request.
    #[serde(default = "yes")]
    pub notifications: bool,
}

fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Settings { tenant: None, profile: None, anchor_rpc: None, anchor_chain_id: None, notifications: true }
    }
}

impl Settings {
    fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE)
    }

    /// The saved settings; the defaults when none were saved. A file that cannot be read is an error that
    /// names it (the app says so rather than silently dropping what was set). Profiles are looked up in the
    /// shipped bundle with the `policies` folder on top.
    pub fn load(data_dir: &Path, policies: Option<&Path>) -> Result<Settings, ConsoleError> {
        let path = Self::path(data_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(ConsoleError::Invalid(format!("reading {}: {e}", path.display()))),
        };
        let settings: Settings = serde_json::from_str(&text)
            .map_err(|e| ConsoleError::Invalid(format!("{} is not valid settings: {e}", path.display())))?;
        settings.check(policies)?;
        Ok(settings)
    }

    /// Checks every field; the message names the one that is wrong. A profile must be in the shipped bundle
    /// or the `policies` folder.
    pub fn check(&self, policies: Option<&Path>) -> Result<(), ConsoleError> {
        let bad = |m: String| Err(ConsoleError::Invalid(m));
        if let Some(t) = &self.tenant
            && (t.is_empty()
                || t.len() > 64
                || !t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return bad(format!("tenant {t:?}: use 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        if let Some(p) = &self.profile {
            PolicySet::load(policies, ProfileChoice::Named(p.clone()))
                .map_err(|e| ConsoleError::Invalid(format!("profile {p:?}: {e}")))?;
        }
        match (&self.anchor_rpc, self.anchor_chain_id) {
            (None, None) => {}
            (Some(url), Some(id)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
                    return bad(format!("anchoring endpoint {url:?}: give an http:// or https:// URL"));
                }
                if id == 0 {
                    return bad("anchoring chain id: 0 is no chain".into());
                }
            }
            _ => return bad("anchoring needs both an endpoint and a chain id (or neither)".into()),
        }
        Ok(())
    }

    /// Writes the settings atomically, after checking them.
    pub fn save(&self, data_dir: &Path, policies: Option<&Path>) -> Result<(), ConsoleError> {
        self.check(policies)?;
        let path = Self::path(data_dir);
        let part = path.with_extension("json.part");
        let text = serde_json::to_string_pretty(self).map_err(|e| ConsoleError::Invalid(e.to_string()))?;
        std::fs::create_dir_all(data_dir)
            .and_then(|()| std::fs::write(&part, text))
            .and_then(|()| std::fs::rename(&part, &path))
            .map_err(|e| ConsoleError::Invalid(format!("writing {}: {e}", path.display())))
    }
}

impl Console {
    /// The settings this console runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Saves new settings for the next console (the app starts one at once).
    pub fn save_settings(&self, settings: &Settings) -> Result<(), ConsoleError> {
        settings.save(&self.config.data_dir, self.config.policies.as_deref())
    }
}
