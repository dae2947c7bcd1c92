//! The window's commands, each one line of delegation; their TypeScript bindings are generated from here
//! into `ui/src/bindings.ts` (see [`bindings`]).

use crate::console::{AppInfo, AppState, ApprovalView, Changed, ExportProgress, ExportView, OpenApproval};
use crate::verify::{self, IpcError, VerdictView};
use specta_typescript::Typescript;
use tauri::State;
use vargate_engine::console::{
    AnchorNowView, AnchoringView, CaseView, NewSession, PolicyView, ReplayView, SessionChoices, SessionRow, Settings,
    TimelinePage,
};

type Result<T> = std::result::Result<T, IpcError>;

/// The app's version, mode and reviewer, or why the engine did not start.
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo> {
    Ok(crate::app_info(&state).await)
}

/// The window calls this once it shows data: the cold-start benchmark (scripts/bench-app.sh) reads the line.
#[tauri::command]
#[specta::specta]
pub fn ui_ready() {
    crate::ui_ready();
}

/// The sessions of the log, most recently active first.
#[tauri::command]
#[specta::specta]
pub async fn list_sessions(state: State<'_, AppState>) -> Result<Vec<SessionRow>> {
    Ok(state.console().await?.sessions().await?)
}

/// The agents and environments a new session can be started with.
#[tauri::command]
#[specta::specta]
pub async fn session_choices(state: State<'_, AppState>) -> Result<SessionChoices> {
    Ok(state.console().await?.session_choices().await?)
}

/// Starts a session as the app's reviewer, within the profile's session limits (a refusal has the code
/// `refused`); returns its id.
#[tauri::command]
#[specta::specta]
pub async fn start_session(state: State<'_, AppState>, session: NewSession) -> Result<String> {
    Ok(state.console().await?.start_session(&session, &state.reviewer).await?)
}

/// A page of a session's timeline after `after_seq`, only of these types and decisions when given.
#[tauri::command]
#[specta::specta]
pub async fn session_timeline(
    state: State<'_, AppState>,
    session_id: String,
    types: Vec<String>,
    decisions: Vec<String>,
    after_seq: Option<u32>,
    limit: u32,
) -> Result<TimelinePage> {
    Ok(state.console().await?.timeline(&session_id, types, decisions, after_seq, limit).await?)
}

/// The original of a record whose PII was masked, for the reviewer, with a reason; the reveal is recorded.
#[tauri::command]
#[specta::specta]
pub async fn reveal_record(state: State<'_, AppState>, session_id: String, seq: u32, reason: String) -> Result<String> {
    Ok(state.console().await?.reveal(&session_id, seq, &state.reviewer, &reason).await?)
}

/// The approval queue: pending requests only, or all of them.
#[tauri::command]
#[specta::specta]
pub async fn list_approvals(state: State<'_, AppState>, pending_only: bool) -> Result<Vec<ApprovalView>> {
    Ok(state.console().await?.approval_queue(pending_only).await?.into_iter().map(Into::into).collect())
}

/// Approves or denies each of `ids` as the app's reviewer, with a reason.
#[tauri::command]
#[specta::specta]
pub async fn decide_approvals(
    state: State<'_, AppState>,
    ids: Vec<String>,
    approve: bool,
    reason: String,
) -> Result<Vec<ApprovalView>> {
    let decided = state.console().await?.decide(&ids, approve, &state.reviewer, &reason).await?;
    Ok(decided.into_iter().map(Into::into).collect())
}

/// The kill switch: interrupts the session, recording the reviewer and the reason.
#[tauri::command]
#[specta::specta]
pub async fn interrupt_session(state: State<'_, AppState>, session_id: String, reason: String) -> Result<()> {
    Ok(state.console().await?.interrupt(&session_id, &reason, &state.reviewer).await?)
}

/// Exports the session's signed evidence pack into the export folder, announcing progress.
#[tauri::command]
#[specta::specta]
pub async fn export_pack(app: tauri::AppHandle, state: State<'_, AppState>, session_id: String) -> Result<ExportView> {
    crate::export(&app, &state, &session_id).await
}

/// Shows an exported pack (a file in the export folder) in the desktop's file manager.
#[tauri::command]
#[specta::specta]
pub async fn show_in_folder(state: State<'_, AppState>, path: String) -> Result<()> {
    crate::reveal::show_export(state.export_dir.clone(), path).await
}

/// The active policy bundle and governance profile.
#[tauri::command]
#[specta::specta]
pub async fn policy_info(state: State<'_, AppState>) -> Result<PolicyView> {
    Ok(state.console().await?.policy())
}

/// Runs the shipped test cases on the active bundle.
#[tauri::command]
#[specta::specta]
pub async fn test_policies(state: State<'_, AppState>) -> Result<Vec<CaseView>> {
    Ok(state.console().await?.test_policies()?)
}

/// Evaluates a recorded decision again on its recorded bundle.
#[tauri::command]
#[specta::specta]
pub async fn replay_decision(state: State<'_, AppState>, action_id: String) -> Result<ReplayView> {
    Ok(state.console().await?.replay(&action_id).await?)
}

/// Stores the managed-agents API key in the keychain and switches to the API (it is never shown again).
#[tauri::command]
#[specta::specta]
pub async fn set_api_key(app: tauri::AppHandle, state: State<'_, AppState>, key: String) -> Result<AppInfo> {
    state.console().await?.set_api_key(&key).await?;
    crate::restart(&app, &state).await
}

/// The settings the engine runs with (tenant, profile, anchoring, notifications).
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings> {
    Ok(state.console().await?.settings().clone())
}

/// Checks and saves new settings, then restarts the engine with them.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(app: tauri::AppHandle, state: State<'_, AppState>, settings: Settings) -> Result<AppInfo> {
    state.console().await?.save_settings(&settings)?;
    crate::restart(&app, &state).await
}

/// Where checkpoints are anchored, the newest anchor and how the last attempts went.
#[tauri::command]
#[specta::specta]
pub async fn anchor_status(state: State<'_, AppState>) -> Result<AnchoringView> {
    Ok(state.console().await?.anchor_status().await?)
}

/// Anchors the log's checkpoint now (code `not_configured` when the settings name no chain).
#[tauri::command]
#[specta::specta]
pub async fn anchor_now(state: State<'_, AppState>) -> Result<AnchorNowView> {
    Ok(state.console().await?.anchor_now().await?)
}

/// Deletes the stored API key and goes back to demo mode.
#[tauri::command]
#[specta::specta]
pub async fn forget_api_key(app: tauri::AppHandle, state: State<'_, AppState>) -> Result<AppInfo> {
    state.console().await?.forget_api_key().await?;
    crate::restart(&app, &state).await
}

/// Verifies the pack or proof file at `path` (a file dropped on the window), pinning `key` if given.
#[tauri::command]
#[specta::specta]
pub async fn verify_file(path: String, key: Option<String>) -> Result<VerdictView> {
    verify::file(path, key).await
}

/// Verifies a pack or proof file the page read (a file chosen with the file picker), pinning `key` if given.
#[tauri::command]
#[specta::specta]
pub async fn verify_bytes(bytes: Vec<u8>, key: Option<String>) -> Result<VerdictView> {
    verify::bytes(bytes, key).await
}

/// Every command the window may invoke and every event it may hear, with their types, for both the invoke
/// handler and the bindings.
pub fn bindings() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            app_info,
            ui_ready,
            list_sessions,
            session_choices,
            start_session,
            session_timeline,
            reveal_record,
            list_approvals,
            decide_approvals,
            interrupt_session,
            export_pack,
            show_in_folder,
            policy_info,
            test_policies,
            replay_decision,
            set_api_key,
            get_settings,
            save_settings,
            forget_api_key,
            anchor_status,
            anchor_now,
            verify_file,
            verify_bytes
        ])
        .events(tauri_specta::collect_events![Changed, ExportProgress, OpenApproval])
}

/// The TypeScript exporter, with a header saying where the file comes from.
pub fn typescript() -> Typescript {
    Typescript::default().header(
        "// Generated from the shell's commands (src-tauri/src/commands.rs) by the test `bindings_are_fresh`;\n\
         // do not edit: run `cargo test -p vargate-desktop bindings_are_fresh` to regenerate.\n",
    )
}
