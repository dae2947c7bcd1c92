//! `vargate timeline`: a stored session, record by record, in chain order. An unknown session is an error;
//! a filter value the session never has gets a note naming the values it does have, never a silent empty
//! result.

use crate::output::{count, safe, say};
use crate::require_log;
use anyhow::Result;
use std::collections::BTreeMap;
use vargate_store::{Store, TimelineFilter};

pub struct Options<'a> {
    pub tenant: &'a str,
    pub session: &'a str,
    pub types: Vec<String>,
    pub decisions: Vec<String>,
    pub json: bool,
}

pub async fn run(store: &Store, o: Options<'_>) -> Result<()> {
    require_log(store, o.tenant).await?;
    // Fails with "no records for session …" when the session is unknown.
    store.session_tail(o.tenant, o.session).await?;
    if !o.types.is_empty() || !o.decisions.is_empty() {
        let facets = store.session_facets(o.tenant, o.session).await?;
        note_unmatched("type", &o.types, &facets.types);
        note_unmatched("decision", &o.decisions, &facets.decisions);
    }
    let mut filter = TimelineFilter { types: o.types, decisions: o.decisions, limit: 1000, after_seq: None };
    let mut shown = 0u64;
    loop {
        let page = store.timeline(o.tenant, o.session, &filter).await?;
        let Some(last) = page.last() else { break };
        filter.after_seq = Some(last.record.seq);
        let mut text = String::new();
        for e in &page {
            let r = &e.record;
            if o.json {
                text.push_str(&serde_json::json!({"index": e.index, "record": r}).to_string());
            } else {
                text.push_str(&format!(
                    "{:>5}  {}  {:<28} {:<9} {:<8} {}",
                    r.seq,
                    safe(&r.ts),
                    safe(&r.kind),
                    safe(&r.decision),
                    safe(&r.source),
                    safe(&vargate_engine::export::record_summary(&r.payload))
                ));
            }
            text.push('\n');
            shown += 1;
        }
        crate::output::write_stdout(&text, 0);
    }
    if !o.json {
        say!("{} of session {} in tenant {}", count(shown, "record", "records"), safe(o.session), safe(o.tenant));
    }
    Ok(())
}

/// Tells the user (on standard error, so `--json` output stays clean) about filter values that match
/// nothing in the session, and which values it has.
fn note_unmatched(what: &str, wanted: &[String], present: &BTreeMap<String, u64>) {
    let missing: Vec<String> =
        wanted.iter().filter(|w| !present.contains_key(*w)).map(|w| format!("\"{}\"", safe(w))).collect();
    if missing.is_empty() {
        return;
    }
    let have: Vec<String> = present.iter().map(|(v, n)| format!("{} ({n})", safe(v))).collect();
    eprintln!(
        "note: the session has no records with {what} {}; its {what}s are: {}",
        missing.join(" or "),
        have.join(", ")
    );
}
