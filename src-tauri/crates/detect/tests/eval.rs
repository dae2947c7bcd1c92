//! The evaluation sets: generation (from the hand-written seeds in `eval/seeds/`) and the figures.
//!
//! `eval/*.jsonl` is the tuning set, `eval/holdout/*.jsonl` the held-out set; both are generated from seed files
//! written by hand before the detector was tuned (held-out seeds in `*_holdout.*`), by the deterministic
//! generator in `eval_sets/`. `generated_sets_are_current` fails when the committed files differ from what the
//! generator makes; regenerate with `VARGATE_DETECT_REGEN=1 cargo test -p vargate-detect --test eval`.
//!
//! Figures: `cargo test -p vargate-detect --test eval -- --nocapture` prints per-category recall, the false
//! positive rate on ordinary commands and PII span recall / precision, for both sets. The tuning set must meet
//! the targets (recall ≥ 95 % per category at ≤ 1 % false positives; PII recall ≥ 98 % at ≥ 95 % precision);
//! the held-out figures are printed and held to a looser floor, since they were not tuned against.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vargate_detect::pii::scan_text_exhaustive;
use vargate_detect::{Category, FLAG_THRESHOLD, analyse_command, detect_line, scan_text};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("eval")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

mod eval_sets;
use eval_sets::generate;

#[test]
fn generated_sets_are_current() {
    let regen = std::env::var_os("VARGATE_DETECT_REGEN").is_some();
    for (path, content) in generate() {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if regen {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &content).unwrap();
        } else {
            assert!(
                current == content,
                "{} is stale: run VARGATE_DETECT_REGEN=1 cargo test -p vargate-detect --test eval",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Figures

fn records(rel: &str) -> Vec<Value> {
    read(&dir().join(rel)).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

struct CommandFigures {
    recall: BTreeMap<String, (usize, usize)>,
    top1: BTreeMap<String, (usize, usize)>,
    false_positives: Vec<String>,
    benign: usize,
    misses: Vec<String>,
}

fn command_figures(set: &str) -> CommandFigures {
    let mut f = CommandFigures {
        recall: BTreeMap::new(),
        top1: BTreeMap::new(),
        false_positives: Vec::new(),
        benign: 0,
        misses: Vec::new(),
    };
    for r in records(&format!("{set}commands_malicious.jsonl")) {
        let cmd = r["command"].as_str().unwrap();
        let label = r["label"].as_str().unwrap().to_owned();
        let a = analyse_command(cmd);
        let hit = a.flagged() && a.findings.iter().any(|x| x.category.as_str() == label && x.score >= FLAG_THRESHOLD);
        let top = a.flagged() && a.top().is_some_and(|t| t.category.as_str() == label);
        let e = f.recall.entry(label.clone()).or_default();
        e.1 += 1;
        if hit {
            e.0 += 1;
        } else {
            f.misses.push(format!(
                "[{label}] {cmd}  => {:?}",
                a.findings
                    .iter()
                    .map(|x| format!("{}:{}:{}", x.category.as_str(), x.rule, x.score))
                    .collect::<Vec<_>>()
            ));
        }
        let t = f.top1.entry(label).or_default();
        t.1 += 1;
        if top {
            t.0 += 1;
        }
        // The JSON Lines interface must accept every line.
        let out: Value = serde_json::from_str(&detect_line(&r.to_string()).unwrap()).unwrap();
        assert_eq!(out["flagged"], a.flagged());
    }
    for r in records(&format!("{set}commands_benign.jsonl")) {
        let cmd = r["command"].as_str().unwrap();
        f.benign += 1;
        let a = analyse_command(cmd);
        if a.flagged() {
            f.false_positives.push(format!(
                "{cmd}  => {:?}",
                a.findings
                    .iter()
                    .map(|x| format!("{}:{}:{}", x.category.as_str(), x.rule, x.score))
                    .collect::<Vec<_>>()
            ));
        }
    }
    f
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 { 100.0 } else { 100.0 * a as f64 / b as f64 }
}

fn print_commands(name: &str, f: &CommandFigures) {
    eprintln!("== {name}: commands");
    for c in Category::ALL {
        let (h, n) = f.recall.get(c.as_str()).copied().unwrap_or_default();
        let (t, _) = f.top1.get(c.as_str()).copied().unwrap_or_default();
        eprintln!("  {:<22} recall {:>6.1}% ({h}/{n})   top-1 category {:>6.1}%", c.as_str(), pct(h, n), pct(t, n));
    }
    eprintln!(
        "  false positives on ordinary commands: {:.2}% ({}/{})",
        pct(f.false_positives.len(), f.benign),
        f.false_positives.len(),
        f.benign
    );
    for m in &f.misses {
        eprintln!("  MISS {m}");
    }
    for fp in &f.false_positives {
        eprintln!("  FP   {fp}");
    }
}

struct PiiFigures {
    expected: usize,
    found: usize,
    predicted: usize,
    correct: usize,
    exact: usize,
    per_kind: BTreeMap<String, (usize, usize)>,
    errors: Vec<String>,
}

fn overlap_ok(a: (u64, u64), b: (u64, u64)) -> bool {
    let inter = a.1.min(b.1).saturating_sub(a.0.max(b.0));
    let union = a.1.max(b.1) - a.0.min(b.0);
    union > 0 && inter * 2 >= union
}

fn pii_figures(set: &str) -> PiiFigures {
    let mut f = PiiFigures {
        expected: 0,
        found: 0,
        predicted: 0,
        correct: 0,
        exact: 0,
        per_kind: BTreeMap::new(),
        errors: Vec::new(),
    };
    for r in records(&format!("{set}pii.jsonl")) {
        let out: Value =
            serde_json::from_str(&detect_line(&json!({"id": r["id"], "text": r["text"]}).to_string()).unwrap())
                .unwrap();
        let span = |v: &Value| {
            (v["type"].as_str().unwrap().to_owned(), v["start"].as_u64().unwrap(), v["end"].as_u64().unwrap())
        };
        let want: Vec<_> = r["spans"].as_array().unwrap().iter().map(span).collect();
        let got: Vec<_> = out["spans"].as_array().unwrap().iter().map(span).collect();
        let text = r["text"].as_str().unwrap();
        let sub = |s: u64, e: u64| text.chars().skip(s as usize).take((e - s) as usize).collect::<String>();
        for w in &want {
            f.expected += 1;
            let e = f.per_kind.entry(w.0.clone()).or_default();
            e.1 += 1;
            if let Some(g) = got.iter().find(|g| g.0 == w.0 && overlap_ok((g.1, g.2), (w.1, w.2))) {
                f.found += 1;
                e.0 += 1;
                if g.1 == w.1 && g.2 == w.2 {
                    f.exact += 1;
                }
            } else {
                f.errors.push(format!("MISS {} {:?} in {:?}", w.0, sub(w.1, w.2), text));
            }
        }
        for g in &got {
            f.predicted += 1;
            if want.iter().any(|w| g.0 == w.0 && overlap_ok((g.1, g.2), (w.1, w.2))) {
                f.correct += 1;
            } else {
                f.errors.push(format!("FP   {} {:?} in {:?}", g.0, sub(g.1, g.2), text));
            }
        }
    }
    f
}

fn print_pii(name: &str, f: &PiiFigures) {
    eprintln!("== {name}: PII spans");
    eprintln!(
        "  recall {:.2}% ({}/{})  precision {:.2}% ({}/{})  exact boundaries {:.1}%",
        pct(f.found, f.expected),
        f.found,
        f.expected,
        pct(f.correct, f.predicted),
        f.correct,
        f.predicted,
        pct(f.exact, f.found)
    );
    for (k, (h, n)) in &f.per_kind {
        eprintln!("  {k:<16} recall {:>6.1}% ({h}/{n})", pct(*h, *n));
    }
    for e in &f.errors {
        eprintln!("  {e}");
    }
}

#[test]
fn tuning_set_meets_targets() {
    let c = command_figures("");
    print_commands("tuning", &c);
    let p = pii_figures("");
    print_pii("tuning", &p);
    for cat in Category::ALL {
        let (h, n) = c.recall.get(cat.as_str()).copied().unwrap_or_default();
        assert!(n >= 40, "{}: only {n} examples", cat.as_str());
        assert!(pct(h, n) >= 95.0, "{} recall {:.1}%", cat.as_str(), pct(h, n));
    }
    assert!(c.benign >= 400);
    assert!(pct(c.false_positives.len(), c.benign) <= 1.0);
    assert!(pct(p.found, p.expected) >= 98.0);
    assert!(pct(p.correct, p.predicted) >= 95.0);
}

#[test]
fn holdout_set_figures() {
    let c = command_figures("holdout/");
    print_commands("held-out", &c);
    let p = pii_figures("holdout/");
    print_pii("held-out", &p);
    // Not tuned against: a loose floor only, so that a regression still shows.
    let hits: usize = c.recall.values().map(|v| v.0).sum();
    let total: usize = c.recall.values().map(|v| v.1).sum();
    assert!(pct(hits, total) >= 70.0);
    assert!(pct(c.false_positives.len(), c.benign) <= 5.0);
    assert!(pct(p.found, p.expected) >= 85.0);
}

/// The PII prefilter only skips detectors that could not match: on every text of every set (PII texts and
/// commands, tuning and held-out), the filtered scan equals the exhaustive one.
#[test]
fn prefiltered_scan_equals_exhaustive_scan() {
    let mut texts = 0;
    for set in ["", "holdout/"] {
        for (file, field) in
            [("pii.jsonl", "text"), ("commands_benign.jsonl", "command"), ("commands_malicious.jsonl", "command")]
        {
            for r in records(&format!("{set}{file}")) {
                let text = r[field].as_str().unwrap_or_default();
                assert_eq!(scan_text(text), scan_text_exhaustive(text), "{set}{file}: {text}");
                texts += 1;
            }
        }
    }
    assert!(texts > 1000, "only {texts} texts");
}
