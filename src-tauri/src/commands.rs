//! The window's commands, each one line of delegation; their TypeScript bindings are generated from here
//! into `ui/src/bindings.ts` (see [`bindings`]).

use crate::verify::{self, IpcError, VerdictView};
use specta_typescript::Typescript;

/// The app's version, shown in the front end's status line.
#[tauri::command]
#[specta::specta]
pub fn app_version() -> String {
    crate::version().to_owned()
}

/// Verifies the pack or proof file at `path` (a file dropped on the window), pinning `key` if given.
#[tauri::command]
#[specta::specta]
pub async fn verify_file(path: String, key: Option<String>) -> Result<VerdictView, IpcError> {
    verify::file(path, key).await
}

/// Verifies a pack or proof file the page read (a file chosen with the file picker), pinning `key` if given.
#[tauri::command]
#[specta::specta]
pub async fn verify_bytes(bytes: Vec<u8>, key: Option<String>) -> Result<VerdictView, IpcError> {
    verify::bytes(bytes, key).await
}

/// Every command the window may invoke, with its types, for both the invoke handler and the bindings.
pub fn bindings() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
        app_version,
        verify_file,
        verify_bytes
    ])
}

/// The TypeScript exporter, with a header saying where the file comes from.
pub fn typescript() -> Typescript {
    Typescript::default().header(
        "// Generated from the shell's commands (src-tauri/src/commands.rs) by the test `bindings_are_fresh`;\n\
         // do not edit: run `cargo test -p vargate-desktop bindings_are_fresh` to regenerate.\n",
    )
}
