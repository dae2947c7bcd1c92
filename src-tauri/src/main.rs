//! Entry point of the Vargate Desktop app; everything lives in the library so it can be tested.

// Without a console window on Windows release builds; harmless elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    vargate_desktop::run();
}
