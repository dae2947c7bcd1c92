//! The baseline of the app's memory benchmark (scripts/bench-app.sh): a Tauri window of the same size
//! showing an empty page, with no engine and no UI — what any Tauri app costs here.

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!("assets/bench/empty-window/tauri.conf.json"))
        .expect("failed to run the empty window");
}
