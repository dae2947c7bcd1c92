"""Real-window end-to-end test of the app when its engine cannot start, driven over WebDriver.

The app is started with a keystore that does not exist (the `e2e-env` line below: scripts/e2e.sh starts the app
with it), so the engine fails at launch. The window must say so in an error panel, open on the Verify screen
(which needs no engine) and still verify a pack; the screens that need the engine say why they cannot work.
Run by scripts/e2e.sh (see harness.py). Prints "e2e: N passed, M failed".
"""

# e2e-env: VARGATE_KEYSTORE=no-such-keystore

import sys
import tempfile
import time
from pathlib import Path

from harness import By, Run, VerifyScreen, app_did_not_start, css, make_pack, shots_dir, start_app, testid

TITLE = "the app without its engine, in a real window"


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vargate-e2e-noengine-") as tmp:
        pack, _, key = make_pack(Path(tmp), "acme", "sesn_e2e_noengine")
        try:
            driver = start_app()
        except Exception as e:
            return app_did_not_start(e, TITLE, started)
        run = Run(driver, shots_dir())
        try:

            def one(selector: str):
                return driver.find_element(By.CSS_SELECTOR, selector)

            panel = run.wait(
                "an error panel says the engine did not start", lambda: css(driver, testid("engine-error"))
            )
            if panel:
                text = panel[0].text
                run.check("it gives the reason (the keystore)", "VARGATE_KEYSTORE" in text, text)
                run.check("it says verifying still works", "Verifying packs" in text, text)
            run.check("no demo banner is shown", not css(driver, testid("demo-banner")))
            run.check("the status line says the engine is not running", "engine not running" in one("#status").text)
            run.check("the app opens on Verify", one("#screen").get_attribute("data-screen") == "verify")

            screen = VerifyScreen(driver)
            outcome = screen.load(pack, key)
            run.check("a pack with its key pinned still verifies VALID", outcome == "valid", outcome)
            run.shot("engine-error", scroll_to=None)

            one(testid("nav-sessions")).click()
            run.wait(
                "Sessions says it needs the engine",
                lambda: one("#screen").get_attribute("data-screen") == "sessions"
                and "needs the engine" in one("#screen").text,
            )
            run.check("and lists nothing", not css(driver, testid("session-row")))
            one(testid("nav-settings")).click()
            run.wait(
                "Settings says the engine is not running",
                lambda: css(driver, testid("settings-mode"))
                and one(testid("settings-mode")).text.startswith("Engine not running"),
            )
            run.check("no API key field is offered without an engine", not css(driver, testid("api-key")))
        except Exception as e:  # A broken step still reports, and the driver still quits.
            run.broke(e, "engine-error-broken")
        finally:
            driver.quit()
    return run.report(TITLE, started)


if __name__ == "__main__":
    sys.exit(main())
