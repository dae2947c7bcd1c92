//! Build script of the desktop shell: generates Tauri's context and permissions.
//!
//! The manifest and `tauri.conf.json` live at the repository root while the shell's sources live in
//! `src-tauri/`, so the capabilities are found through an explicit pattern.

fn main() {
    if let Err(err) = tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    ) {
        panic!("tauri build script failed: {err:#}");
    }
}
