//! The Vargate Desktop shell.
//!
//! The shell is deliberately thin: it is the only crate that knows Tauri. It opens the window, serves the
//! front end from `ui/dist`, and exposes commands that each delegate in one line to the library crates
//! (audit log, verifier, store), which know nothing about windows or IPC and are tested on their own.

/// The app's version, as written in the package manifest.
#[must_use]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

pub mod commands;
pub mod verify;

/// Builds and runs the desktop app until its last window closes.
///
/// # Panics
///
/// Panics if Tauri cannot start (e.g. no display or WebKit failed to initialise): there is nothing
/// useful the app can do without its window.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(commands::bindings().invoke_handler())
        .run(tauri::generate_context!())
        .expect("failed to run the Vargate Desktop app");
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_a_semver_triple() {
        let parts: Vec<&str> = super::version().split('.').collect();
        assert_eq!(parts.len(), 3, "{}", super::version());
        assert!(parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())));
    }

    /// The UI's typed bindings must match the commands: regenerates `ui/src/bindings.ts` and fails if it
    /// changed, so a stale file never passes the tests (commit the regenerated file).
    #[test]
    fn bindings_are_fresh() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings.ts");
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("bindings.ts");
        crate::commands::bindings().export(crate::commands::typescript(), &fresh).unwrap();
        let fresh = std::fs::read_to_string(&fresh).unwrap();
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if fresh != current {
            std::fs::write(&path, &fresh).unwrap();
            panic!("{} was stale and has been regenerated: review and commit it", path.display());
        }
    }
}
