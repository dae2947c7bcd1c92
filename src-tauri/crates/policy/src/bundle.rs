//! Policy bundles: the files, their content hash, and the compiled, validated engine. A bundle that fails to
//! load is an error naming the file, line and rule; the caller keeps its active bundle.

use crate::decision::PassResult;
use crate::input::{PolicyInput, Profile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The rule every bundle must define: the facts of one pass (`docs/policies.md`).
pub const DECISION_RULE: &str = "data.vargate.decision.result";

/// Longest one evaluation may run before it is stopped (and the call denied). Ordinary policies take well
/// under a millisecond; the limit is wall-clock time, so it leaves room for a loaded machine.
const EVALUATION_LIMIT: Duration = Duration::from_millis(500);

/// The shipped bundle, compiled into the binary so that it applies wherever Vargate runs.
static SHIPPED: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../../policies");

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// `message` names the file, line and column itself when the parser knew them.
    #[error("{}", if message.starts_with(file.as_str()) { message.clone() } else { format!("{file}: {message}") })]
    Parse { file: String, message: String },
    #[error("reading {path}: {reason}")]
    Read { path: PathBuf, reason: std::io::Error },
    #[error("the policy bundle is invalid: {0}")]
    Invalid(String),
    #[error("{file}: not a governance profile: {reason}")]
    Profile { file: String, reason: String },
}

/// A bundle's files: relative path → contents. `.rego` files are policies; `profiles/*.json` are governance
/// profiles; user files sit under `user/`. Test cases are not part of a bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BundleFiles(pub BTreeMap<String, String>);

fn is_bundle_file(path: &str) -> bool {
    path.ends_with(".rego") || (path.starts_with("profiles/") && path.ends_with(".json"))
}

impl BundleFiles {
    /// The bundle shipped with Vargate (the repository's `policies/` folder).
    pub fn shipped() -> BundleFiles {
        let mut files = BTreeMap::new();
        let mut dirs = vec![&SHIPPED];
        while let Some(dir) = dirs.pop() {
            for file in dir.files() {
                let path = file.path().to_string_lossy().replace('\\', "/");
                if let (true, Some(text)) = (is_bundle_file(&path), file.contents_utf8()) {
                    files.insert(path, text.to_owned());
                }
            }
            dirs.extend(dir.dirs());
        }
        BundleFiles(files)
    }

    /// The shipped test cases (`policies/cases/*.json`), as (file name, contents) in file-name order.
    pub fn shipped_cases() -> Vec<(String, String)> {
        let mut cases: Vec<(String, String)> = SHIPPED
            .get_dir("cases")
            .map(|dir| {
                dir.files()
                    .filter_map(|f| {
                        let name = f.path().file_name()?.to_string_lossy().into_owned();
                        Some((name, f.contents_utf8()?.to_owned()))
                    })
                    .filter(|(name, _)| name.ends_with(".json"))
                    .collect()
            })
            .unwrap_or_default();
        cases.sort();
        cases
    }

    /// Reads a bundle folder: every `.rego` file below it and its `profiles/*.json`.
    pub fn from_dir(dir: &Path) -> Result<BundleFiles, BundleError> {
        let read = |path: &Path| -> Result<std::fs::ReadDir, BundleError> {
            std::fs::read_dir(path).map_err(|reason| BundleError::Read { path: path.to_owned(), reason })
        };
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(folder) = pending.pop() {
            for entry in read(&folder)? {
                let entry = entry.map_err(|reason| BundleError::Read { path: folder.clone(), reason })?;
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                if is_bundle_file(&relative) {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|reason| BundleError::Read { path: path.clone(), reason })?;
                    files.insert(relative, text);
                }
            }
        }
        Ok(BundleFiles(files))
    }

    /// This bundle with a user's files added under `user/`.
    pub fn with_user(mut self, user: BundleFiles) -> BundleFiles {
        self.0.extend(user.0.into_iter().map(|(path, text)| (format!("user/{path}"), text)));
        self
    }

    /// Hex SHA-256 of the JSON object `{path: contents}` with members sorted by path and no whitespace.
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(&self.0).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }

    fn templates(&self) -> BTreeSet<String> {
        self.0
            .iter()
            .filter(|(path, _)| path.ends_with(".rego"))
            .flat_map(|(_, text)| text.lines())
            .filter_map(|line| line.trim().strip_prefix("package vargate.templates."))
            .map(|name| name.trim().to_owned())
            .collect()
    }
}

/// A compiled, validated bundle. Cheap to share; each evaluation works on its own copy of the engine.
#[derive(Debug, Clone)]
pub struct Bundle {
    files: BundleFiles,
    hash: String,
    engine: regorus::Engine,
    profiles: BTreeMap<String, Profile>,
}

impl Bundle {
    /// Parses every policy, checks the decision rule against a probe input, and checks that every profile
    /// names only templates the bundle declares.
    pub fn compile(files: BundleFiles) -> Result<Bundle, BundleError> {
        let mut engine = regorus::Engine::new();
        let mut policies = 0;
        for (path, text) in files.0.iter().filter(|(path, _)| path.ends_with(".rego")) {
            engine
                .add_policy(path.clone(), text.clone())
                .map_err(|e| BundleError::Parse { file: path.clone(), message: one_line(&e.to_string()) })?;
            policies += 1;
        }
        if policies == 0 {
            return Err(BundleError::Invalid("it has no .rego files".into()));
        }
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: EVALUATION_LIMIT,
            check_interval: std::num::NonZeroU32::MIN.saturating_add(99),
        });
        let templates = files.templates();
        let mut profiles = BTreeMap::new();
        for (path, text) in files.0.iter().filter(|(path, _)| path.ends_with(".json")) {
            let bad = |reason: String| BundleError::Profile { file: path.clone(), reason };
            let profile: Profile = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            if let Some(unknown) = profile.templates.iter().find(|t| !templates.contains(*t)) {
                let known: Vec<&str> = templates.iter().map(String::as_str).collect();
                return Err(bad(format!(
                    "it names template \"{unknown}\", which no policy declares (templates: {})",
                    known.join(", ")
                )));
            }
            // A user's profile of the same name replaces the shipped one (user files sort after the rest).
            profiles.insert(profile.name.clone(), profile);
        }
        let mut bundle = Bundle { hash: files.hash(), files, engine, profiles };
        let probe = PolicyInput {
            action: Default::default(),
            findings: Default::default(),
            profile: Profile {
                name: "probe".into(),
                description: String::new(),
                templates: templates.into_iter().collect(),
                params: serde_json::json!({}),
            },
            history: None,
            pass: 1,
        };
        // Evaluated on the bundle's own engine, not a copy: the first evaluation prepares the engine (analyses
        // and schedules every module), and every later copy starts prepared instead of doing it again.
        evaluate_on(&mut bundle.engine, &probe)
            .map_err(|e| BundleError::Invalid(format!("{DECISION_RULE} on a probe input: {e}")))?;
        Ok(bundle)
    }

    /// The shipped bundle, compiled. It is tested, so failing here means the binary is broken.
    pub fn shipped() -> Result<Bundle, BundleError> {
        Bundle::compile(BundleFiles::shipped())
    }

    pub fn hash(&self) -> &str {
        &self.hash
    }

    pub fn files(&self) -> &BundleFiles {
        &self.files
    }

    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    pub fn profiles(&self) -> impl Iterator<Item = &Profile> {
        self.profiles.values()
    }

    /// One pass: the bundle's facts for this input, or an error (which the caller turns into a deny).
    pub(crate) fn evaluate(&self, input: &PolicyInput) -> Result<PassResult, String> {
        evaluate_on(&mut self.engine.clone(), input)
    }
}

fn evaluate_on(engine: &mut regorus::Engine, input: &PolicyInput) -> Result<PassResult, String> {
    let json = serde_json::to_string(input).map_err(|e| e.to_string())?;
    engine.set_input_json(&json).map_err(|e| one_line(&e.to_string()))?;
    let value = engine.eval_rule(DECISION_RULE.to_owned()).map_err(|e| one_line(&e.to_string()))?;
    if value == regorus::Value::Undefined {
        return Err(format!("{DECISION_RULE} is undefined for this input"));
    }
    let json = value.to_json_str().map_err(|e| e.to_string())?;
    serde_json::from_str(&json).map_err(|e| format!("{DECISION_RULE} has the wrong shape: {e}"))
}

/// regorus reports `--> file:line:col`, the source line with a caret, then `error: message`; people need
/// `file:line:col: message` on one line.
fn one_line(message: &str) -> String {
    let location = message.split("--> ").nth(1).and_then(|rest| rest.split_whitespace().next());
    let reason = message.rsplit("error: ").next().map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "));
    match (location, reason) {
        (Some(at), Some(reason)) if message.contains("error: ") => format!("{at}: {reason}"),
        _ => message.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}
