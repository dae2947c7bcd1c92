//! `vargate policy`: the active bundle and its test cases. `policy test [DIR]` runs test cases through the
//! same two-pass evaluation the pipeline uses: without DIR the shipped bundle and cases; with DIR that
//! policy folder on top of the shipped bundle, and the cases in DIR/cases. Exit 1 when any case fails.

use crate::output::{count, safe, say};
use anyhow::{Context as _, Result, bail};
use std::path::Path;
use vargate_policy::{Bundle, BundleFiles};

/// The shipped bundle, with a user's policy folder on top when given.
pub fn load_bundle(dir: Option<&Path>) -> Result<Bundle> {
    let files = match dir {
        None => BundleFiles::shipped(),
        Some(dir) => BundleFiles::shipped().with_user(
            BundleFiles::from_dir(dir).with_context(|| format!("reading the policy folder {}", dir.display()))?,
        ),
    };
    Bundle::compile(files).context("loading the policy bundle")
}

pub fn test(dir: Option<&Path>) -> Result<bool> {
    let bundle = load_bundle(dir)?;
    let cases = match dir {
        None => BundleFiles::shipped_cases(),
        Some(dir) => vargate_policy::case_files_in(&dir.join("cases"))
            .with_context(|| format!("{} has no cases folder of test cases", dir.display()))?,
    };
    if cases.is_empty() {
        bail!("no test cases to run");
    }
    let outcomes = vargate_policy::run_case_files(&bundle, &cases)?;
    let failed = outcomes.iter().filter(|o| !o.passed).count() as u64;
    for o in &outcomes {
        if o.passed {
            say!("PASS  {}", safe(&o.name));
        } else {
            say!("FAIL  {}: {}", safe(&o.name), safe(&o.detail));
        }
    }
    let total = outcomes.len() as u64;
    say!(
        "bundle {}: {} of {} passed",
        bundle.hash().get(..12).unwrap_or_default(),
        total - failed,
        count(total, "case", "cases")
    );
    Ok(failed == 0)
}

pub fn show(dir: Option<&Path>) -> Result<()> {
    let bundle = load_bundle(dir)?;
    say!("bundle {}", bundle.hash());
    let policies = bundle.files().0.keys().filter(|p| p.ends_with(".rego")).count() as u64;
    say!(
        "{} from {}",
        count(policies, "policy file", "policy files"),
        dir.map_or("the shipped policies".to_owned(), |d| format!("the shipped policies and {}", d.display()))
    );
    for p in bundle.profiles() {
        say!("profile {}: {}", safe(&p.name), safe(&p.templates.join(", ")));
    }
    Ok(())
}
