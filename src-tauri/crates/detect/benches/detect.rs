//! Throughput of the detectors over the evaluation sets, against a plain `str::contains` scan of the same
//! inputs measured in the same run; and of the PII check every recorded event goes through
//! (`pii::json_has_pii`), over session events shaped like the API's (ids, timestamps, text, usage), against
//! serialising the same events.
//!
//!   cargo bench -p vargate-detect --bench detect [-- --rounds 20]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};
use vargate_detect::{analyse_command, pii::json_has_pii, scan_text};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn field(file: &str, key: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get(key).and_then(|s| s.as_str()).map(str::to_owned))
        .collect()
}

/// Runs `f` over all inputs `rounds` times; returns seconds.
fn time(rounds: u64, inputs: &[String], mut f: impl FnMut(&str) -> usize) -> f64 {
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..rounds {
        for s in inputs {
            sink = sink.wrapping_add(f(s));
        }
    }
    black_box(sink);
    start.elapsed().as_secs_f64()
}

fn main() {
    let rounds = arg("--rounds", 20);
    let mut commands = field("commands_malicious.jsonl", "command");
    commands.extend(field("commands_benign.jsonl", "command"));
    let mut texts = field("pii.jsonl", "text");
    texts.extend(commands.iter().cloned());
    let cmd_bytes: usize = commands.iter().map(String::len).sum();
    let text_bytes: usize = texts.iter().map(String::len).sum();

    // Baseline: look for a handful of literal needles, the cheapest scan that reads every byte.
    let needles = ["rm -rf", "curl", "/dev/tcp", "@", "BEGIN", "AKIA", "ghp_", "base64"];
    let baseline = |s: &str| needles.iter().filter(|n| s.contains(*n)).count();

    let t_cmd = time(rounds, &commands, |s| analyse_command(s).findings.len());
    let t_cmd_base = time(rounds, &commands, baseline);
    let t_txt = time(rounds, &texts, |s| scan_text(s).len());
    let t_txt_base = time(rounds, &texts, baseline);

    let n_cmd = (commands.len() as u64 * rounds) as f64;
    let mb = |bytes: usize, secs: f64| bytes as f64 * rounds as f64 / secs / 1e6;
    println!("analyse_command: {} commands x {rounds} rounds", commands.len());
    println!("  {:>10.0} commands/s  {:>8.2} MB/s", n_cmd / t_cmd, mb(cmd_bytes, t_cmd));
    println!(
        "  baseline str::contains x{}: {:>8.2} MB/s  (detector / baseline = {:.4})",
        needles.len(),
        mb(cmd_bytes, t_cmd_base),
        t_cmd_base / t_cmd
    );
    println!("scan_text: {} texts ({} bytes) x {rounds} rounds", texts.len(), text_bytes);
    println!("  {:>10.0} texts/s  {:>8.2} MB/s", (texts.len() as u64 * rounds) as f64 / t_txt, mb(text_bytes, t_txt));
    println!(
        "  baseline str::contains x{}: {:>8.2} MB/s  (detector / baseline = {:.4})",
        needles.len(),
        mb(text_bytes, t_txt_base),
        t_txt_base / t_txt
    );
    events(rounds);
}

/// Events as a session streams them: `agent.message` and model-request spans with ids, timestamps, usage.
fn sample_events(n: usize) -> Vec<Value> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut id = |prefix: &str| {
        let tail: String = (0..24)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(ALPHABET[(state % ALPHABET.len() as u64) as usize])
            })
            .collect();
        format!("{prefix}_01{tail}")
    };
    (0..n)
        .map(|i| {
            let at = format!("2026-12-02T09:{:02}:{:02}.{:06}Z", i / 60 % 60, i % 60, i * 37 % 1_000_000);
            match i % 3 {
                0 => json!({"type": "span.model_request_start", "id": id("sevt"), "processed_at": at}),
                1 => json!({"type": "agent.message", "id": id("sevt"), "processed_at": at,
                            "content": [{"type": "text", "text": format!("progress note {i}: all fine")}]}),
                _ => json!({"type": "span.model_request_end", "id": id("sevt"), "processed_at": at,
                            "model_request_start_id": id("sevt"), "is_error": false,
                            "model_usage": {"input_tokens": 1200 + i, "output_tokens": 80, "cache_read_input_tokens": 0,
                                            "cache_creation_input_tokens": 0}}),
            }
        })
        .collect()
}

fn events(rounds: u64) {
    let events = sample_events(30_000);
    let start = Instant::now();
    let mut found = 0usize;
    for _ in 0..rounds {
        found += events.iter().filter(|e| json_has_pii(e)).count();
    }
    let t_scan = start.elapsed().as_secs_f64();
    assert_eq!(found, 0, "the sample events hold no PII");
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..rounds {
        bytes += events.iter().map(|e| serde_json::to_vec(e).map_or(0, |v| v.len())).sum::<usize>();
    }
    black_box(bytes);
    let t_ser = start.elapsed().as_secs_f64();
    let n = (events.len() as u64 * rounds) as f64;
    println!("json_has_pii: {} session events x {rounds} rounds", events.len());
    println!(
        "  {:>10.0} events/s ({:.2} µs each); serde_json::to_vec {:>10.0} events/s (check / serialise = {:.2})",
        n / t_scan,
        t_scan * 1e6 / n,
        n / t_ser,
        t_scan / t_ser
    );
}
