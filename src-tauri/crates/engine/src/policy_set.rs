//! The active policy bundle and governance profile. A bundle is loaded from the shipped policies plus an
//! optional user folder; `reload` (and the watcher that calls it) swaps in an edited bundle only when it
//! compiles and validates — a bad bundle never replaces the active one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use vargate_policy::{Bundle, BundleError, BundleFiles, Profile};

/// The governance profile to apply: one the bundle defines, or a JSON file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileChoice {
    Named(String),
    File(PathBuf),
}

impl Default for ProfileChoice {
    fn default() -> Self {
        ProfileChoice::Named("default".into())
    }
}

/// A bundle with the profile that applies.
#[derive(Debug)]
pub struct Active {
    pub bundle: Bundle,
    pub profile: Profile,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicySetError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("no governance profile named \"{name}\" (profiles: {known})")]
    UnknownProfile { name: String, known: String },
    #[error("{path}: not a governance profile: {reason}")]
    ProfileFile { path: PathBuf, reason: String },
}

#[derive(Debug)]
pub struct PolicySet {
    user_dir: Option<PathBuf>,
    profile: ProfileChoice,
    active: RwLock<Arc<Active>>,
}

impl PolicySet {
    /// Loads the shipped bundle (with `user_dir` on top) and the chosen profile.
    pub fn load(user_dir: Option<&Path>, profile: ProfileChoice) -> Result<PolicySet, PolicySetError> {
        let active = build(user_dir, &profile)?;
        Ok(PolicySet { user_dir: user_dir.map(Path::to_owned), profile, active: RwLock::new(Arc::new(active)) })
    }

    /// The shipped bundle with the default profile.
    pub fn shipped() -> Result<PolicySet, PolicySetError> {
        PolicySet::load(None, ProfileChoice::default())
    }

    pub fn active(&self) -> Arc<Active> {
        match self.active.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reads the bundle again; swaps it in if its contents changed and it is valid. Returns the new hash, or
    /// `None` when nothing changed; on error the active bundle stays.
    pub fn reload(&self) -> Result<Option<String>, PolicySetError> {
        let files = files(self.user_dir.as_deref())?;
        if files.hash() == self.active().bundle.hash() {
            return Ok(None);
        }
        let active = build(self.user_dir.as_deref(), &self.profile)?;
        let hash = active.bundle.hash().to_owned();
        match self.active.write() {
            Ok(mut a) => *a = Arc::new(active),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(active),
        }
        Ok(Some(hash))
    }

    /// Polls the user folder every `period` and reloads on change (hot reload). Errors are logged once per
    /// bad version and the active bundle stays.
    pub fn spawn_watcher(self: &Arc<Self>, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let set = Arc::clone(self);
        tokio::spawn(async move {
            let mut last_error = String::new();
            loop {
                tokio::time::sleep(period).await;
                let result = {
                    let set = Arc::clone(&set);
                    tokio::task::spawn_blocking(move || set.reload()).await
                };
                match result {
                    Ok(Ok(Some(hash))) => tracing::info!("policy bundle reloaded: {hash}"),
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        let text = e.to_string();
                        if text != last_error {
                            tracing::error!("the edited policy bundle was not loaded (the active one stays): {text}");
                            last_error = text;
                        }
                    }
                    Err(e) => tracing::error!("policy reload panicked: {e}"),
                }
            }
        })
    }
}

fn files(user_dir: Option<&Path>) -> Result<BundleFiles, BundleError> {
    Ok(match user_dir {
        None => BundleFiles::shipped(),
        Some(dir) => BundleFiles::shipped().with_user(BundleFiles::from_dir(dir)?),
    })
}

fn build(user_dir: Option<&Path>, choice: &ProfileChoice) -> Result<Active, PolicySetError> {
    let bundle = Bundle::compile(files(user_dir)?)?;
    let profile = match choice {
        ProfileChoice::Named(name) => bundle.profile(name).cloned().ok_or_else(|| PolicySetError::UnknownProfile {
            name: name.clone(),
            known: bundle.profiles().map(|p| p.name.clone()).collect::<Vec<_>>().join(", "),
        })?,
        ProfileChoice::File(path) => {
            let bad = |reason: String| PolicySetError::ProfileFile { path: path.clone(), reason };
            let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            let profile: Profile = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
            // Checked the way the bundle checks its own profiles: every template must exist.
            let mut probe = bundle.files().clone();
            probe.0.insert("profiles/_given.json".into(), text);
            Bundle::compile(probe).map_err(|e| bad(e.to_string()))?;
            profile
        }
    };
    Ok(Active { bundle, profile })
}
