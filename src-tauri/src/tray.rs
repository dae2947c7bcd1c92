//! The tray icon: how many approvals wait, at a glance, with a menu to open the window or quit. A desktop
//! without a tray (no StatusNotifier host) only loses the icon; the app runs on.

use std::sync::Arc;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use vargate_engine::console::{Console, ConsoleEvent};

const TRAY: &str = "vargate";

pub fn install(app: &tauri::AppHandle) {
    if let Err(e) = try_install(app) {
        tracing::warn!("no tray icon: {e}");
    }
}

fn try_install(app: &tauri::AppHandle) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Vargate Desktop", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    let mut builder = TrayIconBuilder::with_id(TRAY).menu(&menu).tooltip("Vargate Desktop");
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder
        .on_menu_event(|app, event| match event.id.as_ref() {
            "open" => crate::focus_main(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(())
}

/// Keeps the tray's count of waiting approvals current for this console, until it is replaced (its channel
/// closes: the task holds only a weak reference to it).
pub fn follow(app: &tauri::AppHandle, console: &Arc<Console>) {
    let (app, weak, mut changes) = (app.clone(), Arc::downgrade(console), console.subscribe());
    tauri::async_runtime::spawn(async move {
        loop {
            let Some(console) = weak.upgrade() else { return };
            // Only the count: the queue as the screens show it would ask the API for every request's agent.
            let pending = console.approvals().list(true).await.map(|q| q.len()).unwrap_or(0);
            drop(console);
            if let Some(tray) = app.tray_by_id(TRAY) {
                let label = match pending {
                    0 => "Vargate Desktop: no approvals waiting".to_owned(),
                    1 => "Vargate Desktop: 1 approval waiting".to_owned(),
                    n => format!("Vargate Desktop: {n} approvals waiting"),
                };
                let _ = tray.set_tooltip(Some(&label));
                let _ = tray.set_title(Some(if pending == 0 { String::new() } else { pending.to_string() }));
            }
            // Recount when the queue changes.
            loop {
                match changes.recv().await {
                    Ok(ConsoleEvent::Approval(_)) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Ok(ConsoleEvent::LogGrew { .. }) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
}
