//! The README's "Try it" commands work as written in a fresh shell: no CARGO_TARGET_DIR, no PATH entry for
//! `vargate`, a new HOME (so a new data directory), only the toolchain and the desktop's D-Bus (for the
//! keychain) inherited.

use std::process::Command;

fn try_it_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../README.md")).unwrap();
    let section = readme.split("## Try it without an API key").nth(1).expect("README has a Try it section");
    let block = section.split("```sh\n").nth(1).expect("a sh block").split("```").next().unwrap();
    block.to_owned()
}

#[test]
fn the_readme_try_it_commands_work_as_written_in_a_fresh_shell() {
    let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI runs this with a Secret Service (scripts/with-services.sh)");
        }
        eprintln!("skipped: the README's demo keeps its key in the Secret Service; run under scripts/test");
        return;
    };
    let block = try_it_block();
    let home = tempfile::tempdir().unwrap();
    // The commands run from the repository's root, as the README's reader would (the demo's output folder,
    // vargate-demo, is git-ignored there).
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../.."));
    let real_home = std::env::var("HOME").unwrap();
    let var = |k: &str, default: String| std::env::var(k).unwrap_or(default);
    // The README defaults CARGO_TARGET_DIR to the shared cache under $HOME. CARGO_TARGET_DIR stays unset, as
    // in a new shell; the new HOME's cache is a link to the target this test was built in, so that `cargo
    // build` finds everything fresh instead of building from scratch.
    let target = std::path::Path::new(env!("CARGO_BIN_EXE_vargate")).parent().unwrap().parent().unwrap();
    std::fs::create_dir_all(home.path().join(".cache/vargate")).unwrap();
    std::os::unix::fs::symlink(target, home.path().join(".cache/vargate/target")).unwrap();
    let out = Command::new("/bin/bash")
        .args(["-euo", "pipefail", "-c", &block])
        .current_dir(root)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", format!("{real_home}/.cargo/bin:/usr/local/bin:/usr/bin:/bin"))
        .env("CARGO_HOME", var("CARGO_HOME", format!("{real_home}/.cargo")))
        .env("RUSTUP_HOME", var("RUSTUP_HOME", format!("{real_home}/.rustup")))
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the README's commands failed:\n{block}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(stdout.contains("result: VALID"), "{stdout}");
    assert!(stdout.lines().last().is_some_and(|l| l.contains("of session sesn_")), "{stdout}");
}
