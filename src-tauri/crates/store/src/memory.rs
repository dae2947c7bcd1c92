//! How a process that writes the log should use memory.

/// Turns transparent huge pages off for this process (on Linux; elsewhere there is nothing to turn off).
/// Call it first thing in `main`: only page faults after the call are affected.
///
/// Why: mimalloc asks the kernel to back its arenas with 2 MiB pages, so a first touch of one zeroes 2 MiB,
/// and mimalloc gives memory freed for a few milliseconds back to the kernel, to fault it in again later.
/// Every commit allocates and frees its records' buffers, so the log kept zeroing huge pages: 16.6% of all
/// CPU time in the ingest benchmark went to `clear_page_erms` under `do_huge_pmd_anonymous_page` (perf),
/// 1.5% with THP off, and SSE ingest ran 15-20% faster (raw appends 3-7%).
pub fn avoid_transparent_huge_pages() {
    // A performance setting: where the kernel refuses it, the process runs as before.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_no_longer_gets_transparent_huge_pages() {
        super::avoid_transparent_huge_pages();
        assert!(nix::sys::prctl::get_thp_disable().unwrap());
    }
}
