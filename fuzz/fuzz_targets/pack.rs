//! The pack reader and verifier on arbitrary bytes: a verdict or an error, never a panic, and never a pass
//! (no key here signed anything the fuzzer can produce).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = vargate_proof::NoteVerifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    if let Ok(verdict) = vargate_proof::verify_pack(data, key.as_ref().ok(), None) {
        assert!(!verdict.origin_verified);
    }
    let _ = vargate_proof::pack::read_zip(data);
});
