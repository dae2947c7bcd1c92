"""Real-window end-to-end test of the Verify screen, driven over WebDriver (tauri-driver + WebKitWebDriver).

Makes a real evidence pack with the `vargate` CLI (in a log of its own, not the app's), opens the desktop app and
its Verify screen, loads the pack through the screen's file picker with the log's key pinned and expects VALID
with passing rows; then loads a copy with one byte flipped in the middle and expects INVALID with a failing row.
Run by scripts/e2e.sh (see harness.py for what it provides). Prints "e2e: N passed, M failed" and exits non-zero
if any step failed.
"""

import sys
import tempfile
import time
from pathlib import Path

from harness import By, Run, VerifyScreen, app_did_not_start, make_pack, shots_dir, start_app, tamper, testid

TENANT = "acme"
SESSION = "sesn_e2e_verify"


def make_files(work: Path) -> tuple[Path, Path, Path, str]:
    """A real pack of a short session, a tampered copy, the session's bare proof file and the log's key."""
    pack, proof, key = make_pack(work, TENANT, SESSION)
    return pack, tamper(pack, work / "tampered.zip"), proof, key


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vargate-e2e-") as tmp:
        pack, tampered, proof, key = make_files(Path(tmp))
        try:
            driver = start_app()
        except Exception as e:
            return app_did_not_start(e, "Verify screen in a real window", started)
        run = Run(driver, shots_dir())
        screen = VerifyScreen(driver)
        try:
            driver.find_element(By.CSS_SELECTOR, testid("nav-verify")).click()
            run.wait("the Verify screen opens from the navigation", lambda: driver.find_elements(By.ID, "vkey"))
            run.check(
                "its navigation entry is marked current",
                driver.find_element(By.CSS_SELECTOR, testid("nav-verify")).get_attribute("aria-current") == "page",
            )
            run.shot("verify-empty")

            outcome = screen.load(pack, key)
            rows = screen.rows()
            run.check("a real pack with its key pinned is VALID", outcome == "valid", outcome)
            run.check("the header says VALID", screen.title() == "VALID")
            for name in ("manifest signature", "session complete"):
                run.check(f"row '{name}' passes", rows.get(name, ("missing",))[0] == "PASS", str(rows.get(name)))
            run.check("no row fails", all(badge != "FAIL" for badge, _ in rows.values()), str(rows))
            run.shot("verify-valid", scroll_to=testid("result"))

            outcome = screen.load(tampered, key)
            rows = screen.rows()
            failing = {name: ev for name, (badge, ev) in rows.items() if badge == "FAIL"}
            run.check("a copy with one byte flipped is INVALID", outcome == "invalid", outcome)
            run.check("the header says INVALID", screen.title() == "INVALID")
            run.check("at least one row fails, with its evidence", bool(failing) and all(failing.values()), str(rows))
            run.shot("verify-tampered", scroll_to=testid("result"))

            outcome = screen.drop(tampered)
            run.check("a dropped tampered pack is INVALID (verified by path)", outcome == "invalid", outcome)
            outcome = screen.drop(pack)
            run.check("a dropped pack is VALID (verified by path)", outcome == "valid", outcome)

            outcome = screen.load(proof, key)
            run.check("a bare proof file with its key pinned is VALID", outcome == "valid", outcome)

            outcome = screen.load(pack, "")
            run.check("without a key the pack's origin is unverified", outcome == "unverified_origin", outcome)

            outcome = screen.load(pack, "not-a-key")
            error = driver.find_elements(By.CSS_SELECTOR, testid("error"))
            run.check(
                "a malformed key is an error naming the key",
                outcome == "error" and "verifier key" in error[0].text if error else False,
                outcome,
            )
            run.check(
                "the key field is marked invalid",
                driver.find_element(By.ID, "vkey").get_attribute("aria-invalid") == "true",
            )
        except Exception as e:  # A broken step still reports, and the driver still quits.
            run.broke(e, "verify-error")
        finally:
            driver.quit()
    return run.report("Verify screen in a real window", started)


if __name__ == "__main__":
    sys.exit(main())
