//! Bundles: a bad bundle is a clear error naming the file and line; evaluation is bounded in time; a
//! decision replays on its recorded bundle and not on another.

use vargate_policy::{
    ActionInput, Bundle, BundleError, BundleFiles, FindingsInput, HistoryInput, PolicyError, PolicyInput, Profile,
    Verdict, decide, replay,
};

fn shipped_with(path: &str, text: &str) -> BundleFiles {
    let mut files = BundleFiles::shipped();
    files.0.insert(path.to_owned(), text.to_owned());
    files
}

fn input(tool: &str, params: serde_json::Value, templates: &[&str]) -> PolicyInput {
    PolicyInput {
        action: ActionInput { tool: tool.into(), params, ..ActionInput::default() },
        findings: FindingsInput::default(),
        profile: Profile {
            name: "t".into(),
            description: String::new(),
            templates: templates.iter().map(|t| t.to_string()).collect(),
            params: serde_json::json!({}),
        },
        history: None,
        pass: 1,
    }
}

#[test]
fn the_shipped_bundle_compiles_and_has_a_stable_hash() {
    let bundle = Bundle::shipped().unwrap();
    assert_eq!(bundle.hash().len(), 64);
    assert_eq!(Bundle::shipped().unwrap().hash(), bundle.hash());
    assert!(bundle.profile("default").is_some() && bundle.profile("research").is_some());
    assert!(bundle.files().0.keys().all(|p| p.ends_with(".rego") || p.starts_with("profiles/")));
}

#[test]
fn a_syntax_error_names_the_file_and_line() {
    let err = Bundle::compile(shipped_with("templates/broken.rego", "package vargate.templates.broken\n\nx := {\n"))
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BundleError::Parse { .. }), "{text}");
    assert!(text.starts_with("templates/broken.rego:4:1: "), "{text}");
}

#[test]
fn a_profile_naming_an_unknown_template_is_refused() {
    let profile = r#"{"name": "typo", "templates": ["general", "emial"]}"#;
    let err = Bundle::compile(shipped_with("profiles/typo.json", profile)).unwrap_err().to_string();
    assert!(err.contains("profiles/typo.json") && err.contains("\"emial\"") && err.contains("email"), "{err}");
    let err = Bundle::compile(shipped_with("profiles/bad.json", "{")).unwrap_err().to_string();
    assert!(err.contains("profiles/bad.json: not a governance profile"), "{err}");
}

#[test]
fn a_bundle_without_the_decision_rule_is_invalid() {
    let mut files = BundleFiles::default();
    files.0.insert("x.rego".into(), "package other\n\nallow := true\n".into());
    let err = Bundle::compile(files).unwrap_err().to_string();
    assert!(err.contains("data.vargate.decision.result"), "{err}");
    assert!(Bundle::compile(BundleFiles::default()).unwrap_err().to_string().contains("no .rego files"));
}

#[test]
fn a_runaway_policy_is_stopped_and_is_an_error() {
    // 64M iterations that build nothing (so no memory grows) and never succeed.
    let runaway = "some i in numbers.range(1, 8000)\n\tsome j in numbers.range(1, 8000)\n\ti * j < 0";
    let rule = |guard: &str| {
        format!(
            "package vargate.templates.slow\n\nimport rego.v1\n\nviolations contains {{\"id\": \"slow\", \"severity\": \"low\", \"reason\": \"r\"}} if {{\n\t{guard}\n\t{runaway}\n}}\n"
        )
    };
    // Unconditional, it runs away on the probe input: the bundle is refused when loaded.
    let err = Bundle::compile(shipped_with("templates/slow.rego", &rule("true"))).unwrap_err().to_string();
    assert!(err.contains("time limit"), "{err}");
    // Guarded, the bundle loads, and the call that reaches it is stopped.
    let bundle = Bundle::compile(shipped_with("templates/slow.rego", &rule("input.action.tool == \"slow\""))).unwrap();
    let started = std::time::Instant::now();
    let err = decide(&bundle, input("slow", serde_json::json!({}), &["slow"]), false, || Ok(HistoryInput::default()))
        .unwrap_err();
    assert!(matches!(err, PolicyError::Evaluation { pass: 1, .. }), "{err}");
    // Stopped near the limit (500 ms), not after the 64M iterations ran.
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn decisions_replay_on_their_bundle_and_not_on_another() {
    let bundle = Bundle::shipped().unwrap();
    let evaluation = decide(
        &bundle,
        input("make_payment", serde_json::json!({"amount": 2500, "currency": "USD"}), &["financial"]),
        false,
        || Ok(HistoryInput { high_value_24h: 1, ..HistoryInput::default() }),
    )
    .unwrap();
    assert_eq!(evaluation.decision.decision, Verdict::RequireApproval);
    assert_eq!(evaluation.decision.passes, 2);
    assert_eq!(replay(&bundle, &evaluation).unwrap(), evaluation.decision);
    // Round-trips through JSON (as it is recorded) and still replays.
    let recorded: vargate_policy::Evaluation =
        serde_json::from_str(&serde_json::to_string(&evaluation).unwrap()).unwrap();
    assert_eq!(replay(&bundle, &recorded).unwrap(), evaluation.decision);
    // Another bundle is refused; a changed policy under a forged hash gives another decision.
    let changed = shipped_with(
        "templates/financial.rego",
        &bundle.files().0["templates/financial.rego"].replace("1000)", "5000)"),
    );
    let other = Bundle::compile(changed).unwrap();
    assert!(matches!(replay(&other, &evaluation), Err(PolicyError::WrongBundle { .. })));
    let mut forged = evaluation.clone();
    forged.bundle_hash = other.hash().to_owned();
    assert_ne!(replay(&other, &forged).unwrap(), evaluation.decision);
}

#[test]
fn history_is_read_only_when_pass_2_runs_and_its_failure_is_an_error() {
    let bundle = Bundle::shipped().unwrap();
    let fast = decide(&bundle, input("lookup", serde_json::json!({}), &["general"]), false, || {
        panic!("pass 1 sufficed: history must not be read")
    })
    .unwrap();
    assert_eq!((fast.decision.passes, fast.pass2_input.is_none()), (1, true));
    let err = decide(&bundle, input("lookup", serde_json::json!({}), &["general"]), true, || {
        Err("database is locked".to_owned())
    })
    .unwrap_err();
    assert!(matches!(err, PolicyError::History(_)), "{err}");
}

#[test]
fn user_files_sit_beside_the_shipped_ones_and_change_the_hash() {
    let mut user = BundleFiles::default();
    user.0.insert(
        "profiles/strict.json".into(),
        r#"{"name": "strict", "templates": ["general", "research_readonly"]}"#.into(),
    );
    let files = BundleFiles::shipped().with_user(user);
    assert!(files.0.contains_key("user/profiles/strict.json"));
    let bundle = Bundle::compile(files).unwrap();
    assert!(bundle.profile("strict").is_some());
    assert_ne!(bundle.hash(), Bundle::shipped().unwrap().hash());
}
