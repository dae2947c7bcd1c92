//! Any text given to the signed-note, checkpoint and verifier-key parsers yields a value or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vargate_proof::checkpoint::Checkpoint;
use vargate_proof::note::{Note, NoteSigner, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let key = NoteVerifier::parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    if let Ok(note) = Note::parse(text) {
        if let Ok(key) = &key {
            let _ = note.verify(std::slice::from_ref(key));
        }
        let _ = Checkpoint::parse_text(&note.text);
    }
    let _ = Checkpoint::parse_text(text);
    let _ = NoteVerifier::parse(text);
    let _ = NoteSigner::parse(text);
});
