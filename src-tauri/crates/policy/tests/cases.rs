//! Every shipped template's test cases (policies/cases) pass on the shipped bundle.

#[test]
fn every_shipped_case_passes() {
    let bundle = vargate_policy::Bundle::shipped().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../policies/cases");
    let files = vargate_policy::case_files_in(&dir).unwrap();
    // The cases compiled into the binary are the repository's.
    assert_eq!(vargate_policy::BundleFiles::shipped_cases(), files);
    let outcomes = vargate_policy::run_case_files(&bundle, &files).unwrap();
    assert!(outcomes.len() >= 60, "only {} cases", outcomes.len());
    let failed: Vec<String> =
        outcomes.iter().filter(|o| !o.passed).map(|o| format!("{}: {}", o.name, o.detail)).collect();
    assert!(failed.is_empty(), "{} of {} cases failed:\n{}", failed.len(), outcomes.len(), failed.join("\n"));
}
