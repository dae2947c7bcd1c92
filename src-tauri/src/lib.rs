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
pub mod console;
pub mod notify;
pub mod reveal;
mod tray;
pub mod verify;

use console::{AppInfo, AppState, Changed, ExportProgress, ExportView};
use std::sync::Arc;
use tauri::Manager as _;
use tauri_specta::Event as _;

/// Builds and runs the desktop app until its last window closes.
///
/// # Panics
///
/// Panics if Tauri cannot start (e.g. no display or WebKit failed to initialise): there is nothing
/// useful the app can do without its window.
pub fn run() {
    let _ = STARTED.set(std::time::Instant::now());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("VARGATE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .try_init();
    let bindings = commands::bindings();
    tauri::Builder::default()
        // First: a second launch only focuses this one (one engine per log).
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| focus_main(app)))
        .invoke_handler(bindings.invoke_handler())
        .setup(move |app| {
            bindings.mount_events(app);
            let documents = app.path().document_dir().ok();
            let app = app.handle().clone();
            // The engine starts while the window opens; commands wait for it. Listeners resume and pending
            // approvals are restored as it starts.
            let (state, starting) = tauri::async_runtime::block_on(console::starting(documents));
            tray::install(&app);
            lighten_webview(&app);
            let reviewer = state.reviewer.clone();
            let handle = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Ok(console) = starting.finish().await {
                    attach(&handle, &console, &reviewer);
                }
                let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
                tracing::info!("engine started {ms} ms after launch");
            });
            app.manage(state);
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("failed to run the Vargate Desktop app");
}

/// One page that lives all day needs none of a browser's caches (back-forward pages, large resource
/// caches): WebKit's document-viewer cache model keeps the least. Nor does a page of forms and tables need
/// GPU compositing, whose buffers (in software, without a GPU) cost the web process tens of MiB.
fn lighten_webview(app: &tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.with_webview(|webview| {
            use webkit2gtk::{SettingsExt, WebContextExt, WebViewExt};
            let view = webview.inner();
            if let Some(context) = view.context() {
                context.set_cache_model(webkit2gtk::CacheModel::DocumentViewer);
            }
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_hardware_acceleration_policy(webkit2gtk::HardwareAccelerationPolicy::Never);
            }
        });
    }
}

/// When the process started, for the cold-start figure.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Says, once, how long the window took to show data.
fn ui_ready() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
        eprintln!("vargate-desktop: window ready with data in {ms} ms");
    });
}

/// Brings the main window to the front.
fn focus_main(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Turns the console's changes into the window's `Changed` events.
fn forward_changes(app: &tauri::AppHandle, console: &Arc<vargate_engine::console::Console>) {
    let (app, mut changes) = (app.clone(), console.subscribe());
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => {
                    let _ = Changed::from(change).emit(&app);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = Changed::Log { size: 0 }.emit(&app);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Connects a console to the window (change events), the desktop (notifications) and the tray. Each ends
/// by itself when the console is replaced: they hold only its channels, which close with it.
fn attach(app: &tauri::AppHandle, console: &Arc<vargate_engine::console::Console>, reviewer: &str) {
    forward_changes(app, console);
    let focus = app.clone();
    let focus: Arc<dyn Fn(String) + Send + Sync> = Arc::new(move |id| {
        focus_main(&focus);
        let _ = console::OpenApproval { id }.emit(&focus);
    });
    if console.settings().notifications {
        notify::spawn(console.approvals().clone(), reviewer.to_owned(), focus);
    }
    tray::follow(app, console);
}

/// Starts a new console (after the API key changed), attaches it and tells the window.
async fn restart(app: &tauri::AppHandle, state: &AppState) -> Result<AppInfo, verify::IpcError> {
    let console = state.restart().await?;
    attach(app, &console, &state.reviewer);
    let _ = Changed::Log { size: 0 }.emit(app);
    Ok(app_info(state).await)
}

async fn app_info(state: &AppState) -> AppInfo {
    let console = state.status().await;
    AppInfo {
        version: version().to_owned(),
        demo: console.as_ref().is_ok_and(|c| c.is_demo()),
        api: console.as_ref().map(|c| c.api_base_url()).unwrap_or_default(),
        tenant: console.as_ref().map(|c| c.tenant().to_owned()).unwrap_or_default(),
        reviewer: state.reviewer.clone(),
        error: console.err(),
    }
}

async fn export(app: &tauri::AppHandle, state: &AppState, session_id: &str) -> Result<ExportView, verify::IpcError> {
    let console = state.console().await?;
    std::fs::create_dir_all(&state.export_dir).map_err(|e| verify::IpcError {
        code: verify::ErrorCode::Failed,
        message: format!("creating the export folder {}: {e}", state.export_dir.display()),
    })?;
    let name: String =
        session_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    let path = state.export_dir.join(format!("{name}.pack.zip"));
    let progress = |stage: vargate_engine::export::Stage| {
        let _ = ExportProgress::new(session_id, &stage).emit(app);
    };
    let pack = console.export(session_id, &path, &progress).await?;
    Ok(ExportView {
        path: path.display().to_string(),
        records: pack.records.min(u64::from(u32::MAX)) as u32,
        anchored: pack.anchored,
        manifest_sha256: pack.manifest_sha256,
    })
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
