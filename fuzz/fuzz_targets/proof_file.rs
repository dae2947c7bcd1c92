//! Any bytes given to the proof-file verifier yield a verdict or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vargate_proof::{NoteVerifier, verify_proof_file};

fuzz_target!(|data: &[u8]| {
    let _ = verify_proof_file(data, None);
    // With a pinned key too, which takes the other branches of the key checks.
    if let Ok(key) = NoteVerifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") {
        let _ = verify_proof_file(data, Some(&key));
    }
});
