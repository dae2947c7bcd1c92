//! Crash consistency: a child process appends (and checkpoints) in a loop and is killed with SIGKILL at a
//! random moment; afterwards every append it had acknowledged must be in the log, and the log, its stored
//! subtree hashes, chains and checkpoints must all verify. 100 rounds with CI=true (VARGATE_CRASH_ROUNDS
//! overrides), 15 otherwise.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;
use vargate_proof::merkle::{leaf_hash, verify_consistency, verify_inclusion};

const CHILD_ENV: &str = "VARGATE_CRASH_CHILD_DIR";

/// The child's body, run by re-executing this test binary; a no-op in a normal test run.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store = common::open(std::path::Path::new(&dir)).await;
        let out = std::sync::Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let mut tasks = Vec::new();
        for t in 0..6u64 {
            let (store, out) = (store.clone(), out.clone());
            tasks.push(tokio::spawn(async move {
                for i in 0u64.. {
                    let session = format!("s{}", (t + i) % 9);
                    let batch: Vec<_> = (0..1 + (i % 5)).map(|k| common::record(&session, i * 10 + k)).collect();
                    let acks = store.append_batch("acme", batch).await.unwrap();
                    {
                        let mut out = out.lock().unwrap();
                        for a in acks {
                            writeln!(out, "ack {} {}", a.index, hex::encode(a.leaf_hash)).unwrap();
                        }
                        out.flush().unwrap();
                    }
                    if t == 0 && i % 7 == 0 {
                        store.checkpoint("acme").await.unwrap();
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

fn rounds() -> u32 {
    if let Ok(n) = std::env::var("VARGATE_CRASH_ROUNDS") {
        return n.parse().expect("VARGATE_CRASH_ROUNDS is a number");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") { 100 } else { 15 }
}

/// A small xorshift so that kill moments vary without a dependency; seeded from the clock and printed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let mut rng = (clock ^ u64::from(std::process::id()).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
    eprintln!("crash test seed {rng:#x}, {} rounds", rounds());
    let exe = std::env::current_exe().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut total_acked = 0usize;
    for round in 0..rounds() {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    let mut parts = l.strip_prefix("ack ")?.split(' ');
                    Some((parts.next()?.parse::<u64>().ok()?, parts.next()?.to_owned()))
                })
                .collect::<Vec<_>>()
        });
        // Kill somewhere between start-up and a few hundred milliseconds of appending.
        std::thread::sleep(Duration::from_millis(30 + next(&mut rng) % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acked = reader.join().unwrap();
        total_acked += acked.len();

        let full_check = round % 10 == 9 || round + 1 == rounds();
        rt.block_on(async {
            let store = common::open(dir.path()).await;
            let before = match store.latest_checkpoint("acme").await {
                Ok(cp) => cp,
                Err(vargate_store::StoreError::UnknownTenant(_)) if acked.is_empty() => return,
                Err(e) => panic!("round {round}: {e}"),
            };
            for (index, hash) in &acked {
                let leaf = store
                    .leaf("acme", *index)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("round {round}: acknowledged leaf {index} lost"));
                assert_eq!(&hex::encode(leaf_hash(&leaf)), hash, "round {round}: leaf {index} changed");
            }
            // The log keeps working after the crash; its new checkpoint extends the last one signed before it
            // and includes every acknowledged leaf.
            store.append("acme", common::record("after-crash", round.into())).await.unwrap();
            let after = store.checkpoint("acme").await.unwrap();
            if let Some(before) = before {
                let proof = store.consistency_proof("acme", before.size, after.size).await.unwrap();
                verify_consistency(before.size, after.size, &proof, &before.root, &after.root).unwrap();
            }
            for (index, hash) in acked.iter().step_by(97) {
                let proof = store.inclusion_proof("acme", *index, after.size).await.unwrap();
                let hash: [u8; 32] = hex::decode(hash).unwrap().try_into().unwrap();
                verify_inclusion(*index, after.size, &hash, &proof, &after.root).unwrap();
            }
            if full_check {
                // Every leaf, stored subtree hash, chain and checkpoint recomputed from the records.
                let report = store.check_integrity("acme").await.unwrap_or_else(|e| panic!("round {round}: {e}"));
                assert_eq!(report.size, after.size);
            }
            store.close().await;
        });
    }
    eprintln!("crash test: {total_acked} acknowledged appends across {} kills, none lost", rounds());
    assert!(total_acked > 0, "the child never acknowledged anything: the test exercised nothing");
}
