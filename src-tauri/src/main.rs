//! Entry point of the Vargate Desktop app; everything lives in the library so it can be tested.

// Without a console window on Windows release builds; harmless elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The same allocator as the `vargate` CLI: the engine it will host allocates per audit record.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    vargate_store::memory::avoid_transparent_huge_pages();
    vargate_desktop::run();
}
