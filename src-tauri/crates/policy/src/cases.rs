//! Policy test cases as data: each file in a cases folder (`policies/cases/*.json`) names a template and
//! lists inputs with the decision they must get. `vargate policy test` and the test suite run them through
//! the same two-pass [`decide`] the pipeline uses.

use crate::bundle::{Bundle, BundleError};
use crate::decision::Verdict;
use crate::evaluate::decide;
use crate::input::{ActionInput, FindingsInput, HistoryInput, PolicyInput, Profile};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    /// The template under test; the default profile of the file's cases enables just it.
    template: String,
    #[serde(default)]
    profile: Option<ProfileRef>,
    cases: Vec<Case>,
}

/// A profile given inline, or the name of one of the bundle's profiles.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ProfileRef {
    Named(String),
    Inline {
        templates: Vec<String>,
        #[serde(default)]
        params: serde_json::Value,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    action: ActionInput,
    #[serde(default)]
    findings: FindingsInput,
    /// The history pass 2 sees (zeros when absent).
    #[serde(default)]
    history: HistoryInput,
    #[serde(default)]
    agent_has_violations: bool,
    #[serde(default)]
    profile: Option<ProfileRef>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: Verdict,
    violations: Vec<String>,
    /// When given, exactly these approval requirements (and no others) fired.
    #[serde(default)]
    approvals: Option<Vec<String>>,
    #[serde(default)]
    passes: Option<u8>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    /// `file: case name`.
    pub name: String,
    pub passed: bool,
    /// What was expected and what came, when it failed.
    pub detail: String,
}

/// The `*.json` case files in `dir`, as (file name, contents), in file-name order.
pub fn case_files_in(dir: &Path) -> Result<Vec<(String, String)>, BundleError> {
    let read_err = |path: &Path, reason| BundleError::Read { path: path.to_owned(), reason };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| read_err(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            std::fs::read_to_string(&path).map(|text| (name, text)).map_err(|e| read_err(&path, e))
        })
        .collect()
}

/// Runs case files (file name, contents) against `bundle`. A file that is not a case file is an error
/// naming it; a case that fails is an outcome.
pub fn run_case_files(bundle: &Bundle, files: &[(String, String)]) -> Result<Vec<CaseOutcome>, BundleError> {
    let mut outcomes = Vec::new();
    for (file_name, text) in files {
        let file: CaseFile = serde_json::from_str(text)
            .map_err(|e| BundleError::Parse { file: file_name.clone(), message: e.to_string() })?;
        for case in &file.cases {
            let name = format!("{file_name}: {}", case.name);
            let (passed, detail) = match run_case(bundle, &file, case) {
                Ok(()) => (true, String::new()),
                Err(detail) => (false, detail),
            };
            outcomes.push(CaseOutcome { name, passed, detail });
        }
    }
    Ok(outcomes)
}

fn resolve(bundle: &Bundle, template: &str, profile: Option<&ProfileRef>) -> Result<Profile, String> {
    match profile {
        None => Ok(Profile {
            name: format!("{template} only"),
            description: String::new(),
            templates: vec![template.to_owned()],
            params: serde_json::json!({}),
        }),
        Some(ProfileRef::Named(name)) => bundle.profile(name).cloned().ok_or(format!("no profile named {name}")),
        Some(ProfileRef::Inline { templates, params }) => Ok(Profile {
            name: "inline".into(),
            description: String::new(),
            templates: templates.clone(),
            params: if params.is_null() { serde_json::json!({}) } else { params.clone() },
        }),
    }
}

fn run_case(bundle: &Bundle, file: &CaseFile, case: &Case) -> Result<(), String> {
    let profile = resolve(bundle, &file.template, case.profile.as_ref().or(file.profile.as_ref()))?;
    let input = PolicyInput {
        action: case.action.clone(),
        findings: case.findings.clone().complete(),
        profile,
        history: None,
        pass: 1,
    };
    let history = case.history.clone();
    let evaluation =
        decide(bundle, input, case.agent_has_violations, move || Ok(history)).map_err(|e| e.to_string())?;
    let d = &evaluation.decision;
    let approvals: Vec<String> = d.matched_rules.iter().filter(|r| !d.violations.contains(r)).cloned().collect();
    let mut wrong = Vec::new();
    if d.decision != case.expect.decision {
        wrong.push(format!("decision {} (expected {})", d.decision.as_str(), case.expect.decision.as_str()));
    }
    let mut expected = case.expect.violations.clone();
    expected.sort();
    if d.violations != expected {
        wrong.push(format!("violations {:?} (expected {expected:?})", d.violations));
    }
    if let Some(want) = &case.expect.approvals {
        let mut want = want.clone();
        want.sort();
        if approvals != want {
            wrong.push(format!("approvals {approvals:?} (expected {want:?})"));
        }
    }
    if let Some(passes) = case.expect.passes
        && d.passes != passes
    {
        wrong.push(format!("{} passes (expected {passes})", d.passes));
    }
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("; ")) }
}
