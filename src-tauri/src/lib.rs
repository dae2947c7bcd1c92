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

/// Tauri command: the app's version, shown in the front end's status line.
#[tauri::command]
fn app_version() -> &'static str {
    version()
}

/// Builds and runs the desktop app until its last window closes.
///
/// # Panics
///
/// Panics if Tauri cannot start (e.g. no display or WebKit failed to initialise): there is nothing
/// useful the app can do without its window.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![app_version])
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
}
