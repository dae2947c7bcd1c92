//! Evidence packs through the `vargate` binary: export, offline verification, anchoring on a real local chain
//! (anvil, started and stopped here) with the on-chain check, tampered copies failing a named check, and an
//! unreachable chain that leaves the log untouched and says so in `vargate anchor status`.

mod common;

use common::{Env, text};
use vargate_anchor::devnet::{CHAIN_ID, DevChain, anvil_binary};

fn failed_lines(out: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("FAIL")).map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pack_is_exported_anchored_verified_on_chain_and_its_tampered_copies_fail() {
    let env = Env::new();
    env.prove(120);
    let key = env.vkey("acme");
    let pack = env.path("pack.zip").display().to_string();

    // Unanchored: valid, with the anchor warning.
    let out = env.vargate(&["export", "--tenant", "acme", "--session", "sess-1", "--out", &pack]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("30 records of session sess-1") && text(&out).contains("not anchored"),
        "{}",
        text(&out)
    );
    let out = env.vargate(&["verify", &pack, "--key", &key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("WARN  anchor: the file carries no anchor"), "{}", text(&out));

    // Anchored on a local chain, then checked offline and against the chain.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let chain = DevChain::start(&anvil_binary(&repo)).await.unwrap_or_else(|e| panic!("{e}"));
    let chain_args = ["--rpc", chain.url(), "--chain-id", "31337", "--confirmations", "0"];
    let out = env.vargate(&["anchor", "address", "--chain-id", &CHAIN_ID.to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    let address = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    chain.fund(&address).await.unwrap();
    let out = env.vargate(&[&["anchor", "now", "--tenant", "acme"][..], &chain_args].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("anchored") && text(&out).contains("at size 120 on chain 31337"), "{}", text(&out));
    let out = env.vargate(&[&["anchor", "now", "--tenant", "acme"][..], &chain_args].concat());
    assert!(text(&out).contains("nothing to anchor"), "anchoring twice: {}", text(&out));
    let out = env.vargate(&["anchor", "status", "--tenant", "acme"]);
    assert!(text(&out).contains("last anchor: size 120") && !text(&out).contains("FAILING"), "{}", text(&out));

    let out = env.vargate(&["export", "--tenant", "acme", "--session", "sess-1", "--out", &pack]);
    assert!(text(&out).contains(", anchored"), "{}", text(&out));
    let out = env.vargate(&["verify", &pack, "--key", &key, "--rpc", chain.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for line in [
        "PASS  manifest signature",
        "PASS  file hashes",
        "PASS  consistency to anchor: the tree of size 121 extends the anchored tree of size 120",
        "PASS  anchor transaction: EIP-1559 tx",
        "PASS  anchor on chain",
        "result: VALID",
    ] {
        assert!(text(&out).contains(line), "{line}: {}", text(&out));
    }

    // Tampered copies, through the binary: a byte of the report, and the anchor's claimed block.
    let bytes = std::fs::read(&pack).unwrap();
    let files = vargate_proof::pack::read_zip(&bytes).unwrap();
    let mut flipped = bytes.clone();
    let at = find(&bytes, &files["report.pdf"]) + files["report.pdf"].len() / 2;
    flipped[at] ^= 0x01;
    let bad = env.path("bad.zip").display().to_string();
    std::fs::write(&bad, &flipped).unwrap();
    let out = env.vargate(&["verify", &bad, "--key", &key]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The zip's own checksum catches it first; the manifest's hash would too.
    assert_eq!(
        failed_lines(&out),
        ["FAIL  pack archive: not a readable zip archive: report.pdf: the data does not match its CRC-32 checksum"]
    );

    let mut proof: serde_json::Value = serde_json::from_slice(&files["proof.json"]).unwrap();
    let evidence = &mut proof["anchor"]["evidence"];
    evidence["block_number"] = (evidence["block_number"].as_u64().unwrap() + 5).into();
    let forged = env.path("forged.json").display().to_string();
    std::fs::write(&forged, serde_json::to_vec(&proof).unwrap()).unwrap();
    let out = env.vargate(&["verify", &forged, "--key", &key, "--rpc", chain.url()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(failed_lines(&out).iter().any(|l| l.starts_with("FAIL  anchor on chain")), "{}", text(&out));
    drop(chain);

    // An unreachable chain: the attempt fails clearly, status says so, the log is untouched and goes on.
    let more = env.write("more.jsonl", &common::jsonl(8));
    let out = env.vargate(&["log", "import", &more, "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.vargate(&["anchor", "now", "--tenant", "acme", "--rpc", "http://127.0.0.1:9", "--chain-id", "31337"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot reach the EVM node at http://127.0.0.1:9"), "{}", text(&out));
    let out = env.vargate(&["anchor", "status", "--tenant", "acme"]);
    assert!(text(&out).contains("FAILING: 1 consecutive failures"), "{}", text(&out));
    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("the file is stored in the zip")
}
