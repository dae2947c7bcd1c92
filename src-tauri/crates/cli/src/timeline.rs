//! `vargate timeline`: a stored session, record by record, in chain order.

use anyhow::Result;
use vargate_store::{Store, TimelineFilter};

pub struct Options<'a> {
    pub tenant: &'a str,
    pub session: &'a str,
    pub types: Vec<String>,
    pub decisions: Vec<String>,
    pub json: bool,
}

pub async fn run(store: &Store, o: Options<'_>) -> Result<()> {
    let mut filter = TimelineFilter { types: o.types, decisions: o.decisions, limit: 1000, after_seq: None };
    let mut shown = 0u64;
    loop {
        let page = store.timeline(o.tenant, o.session, &filter).await?;
        let Some(last) = page.last() else { break };
        filter.after_seq = Some(last.record.seq);
        for e in &page {
            let r = &e.record;
            if o.json {
                println!("{}", serde_json::json!({"index": e.index, "record": r}));
            } else {
                println!(
                    "{:>5}  {}  {:<28} {:<9} {:<8} {}",
                    r.seq,
                    r.ts,
                    r.kind,
                    r.decision,
                    r.source,
                    summary(&r.payload)
                );
            }
            shown += 1;
        }
    }
    if !o.json {
        println!("{shown} records of session {} in tenant {}", o.session, o.tenant);
    }
    Ok(())
}

/// One line saying what a record is about: a tool and its input, a message, a reason.
fn summary(p: &serde_json::Value) -> String {
    let s = |k: &str| p.get(k).and_then(|v| v.as_str());
    let text = if let Some(name) = s("name") {
        format!("{name} {}", p.get("input").map(|i| i.to_string()).unwrap_or_default())
    } else if let Some(tool) = s("tool") {
        format!("{tool}: {}", s("reason").unwrap_or_default())
    } else if let Some(note) = s("note") {
        format!("note: {note}")
    } else if let Some(content) = p.get("content").and_then(|c| c.as_array()) {
        content.iter().filter_map(|b| b.get("text").and_then(|t| t.as_str())).collect::<Vec<_>>().join(" ")
    } else {
        String::new()
    };
    let mut line: String = text.chars().take(100).collect();
    if text.chars().count() > 100 {
        line.push('…');
    }
    line
}
