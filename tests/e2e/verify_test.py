"""Real-window end-to-end test of the Verify screen, driven over WebDriver (tauri-driver + WebKitWebDriver).

Makes a real evidence pack with the `vargate` CLI, opens the desktop app, loads the pack through the screen's
file picker with the log's key pinned and expects VALID with passing rows; then loads a copy with one byte
flipped in the middle and expects INVALID with a failing row. Run by scripts/e2e.sh, which starts the display,
the bus and tauri-driver and stops them; this file only needs:

  VARGATE_BIN   the `vargate` CLI      VARGATE_APP   the desktop binary
  WEBDRIVER_URL tauri-driver's URL     E2E_SHOTS     a folder for screenshots (optional)

Prints "e2e: N passed, M failed" and exits non-zero if any step failed.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

TENANT = "acme"
SESSION = "sesn_e2e_verify"
TIMEOUT_S = 30


def cli(*args: str, env: dict) -> str:
    out = subprocess.run([os.environ["VARGATE_BIN"], *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout


def make_files(work: Path) -> tuple[Path, Path, Path, str]:
    """A real pack of a short session, a tampered copy, the session's bare proof file and the log's key."""
    env = dict(os.environ, VARGATE_DATA_DIR=str(work / "data"), VARGATE_KEYSTORE=f"insecure-file:{work / 'keys'}")
    events = work / "events.jsonl"
    lines = [
        {"session_id": SESSION, "ts": f"2026-11-25T10:00:0{i}Z", "type": t, "payload": {"i": i, "text": f"step {i}"}}
        for i, t in enumerate(["session.status_running", "agent.message", "agent.tool_use", "agent.message"])
    ]
    events.write_text("".join(json.dumps(line) + "\n" for line in lines))
    cli("log", "import", str(events), "--tenant", TENANT, env=env)
    pack = work / "pack.zip"
    cli("export", "--tenant", TENANT, "--session", SESSION, "--out", str(pack), env=env)
    proof = work / "proof.json"
    cli("proof", "--tenant", TENANT, "--session", SESSION, "--out", str(proof), env=env)
    key = cli("log", "key", "--tenant", TENANT, env=env).strip()
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = work / "tampered.zip"
    tampered.write_bytes(bytes(data))
    return pack, tampered, proof, key


class Run:
    def __init__(self, driver, shots: Path | None):
        self.driver, self.shots, self.passed, self.failed = driver, shots, 0, 0

    def check(self, what: str, ok: bool, info: str = "") -> None:
        if ok:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what} {info}")

    def shot(self, name: str) -> None:
        """Saves the window, scrolled to the verdict when there is one (the table is what the screen is for)."""
        if self.shots:
            verdict = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=result]")
            if verdict:
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", verdict[0])
            self.shots.mkdir(parents=True, exist_ok=True)
            self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def load(self, path: Path, key: str) -> str:
        """Pins `key` and chooses `path` in the screen's file picker; returns the outcome shown."""
        d = self.driver
        field = d.find_element(By.ID, "vkey")
        # Select-all and delete, as a person would: WebDriver's clear() fires no input event for the page.
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.BACKSPACE)
        if key:
            field.send_keys(key)
        box = d.find_element(By.CSS_SELECTOR, "[data-testid=result]")
        before = int(box.get_attribute("data-run") or 0)
        d.find_element(By.ID, "file").send_keys(str(path))

        # Wait for a new verification to finish, not for the previous verdict still on screen.
        def done(_):
            return int(box.get_attribute("data-run") or 0) > before and box.get_attribute("data-busy") == "false"

        try:
            WebDriverWait(d, TIMEOUT_S).until(done)
        except TimeoutException:
            return "timeout: " + box.text
        outcome = d.find_element(By.CSS_SELECTOR, "[data-outcome]")
        return outcome.get_attribute("data-outcome") or ""

    def drop(self, path: Path) -> str:
        """Drops `path` on the window as Tauri reports a drop (WebDriver cannot drag from the desktop, so the
        test emits the event the window would get); the screen verifies it by path. Returns the outcome."""
        d = self.driver
        box = d.find_element(By.CSS_SELECTOR, "[data-testid=result]")
        before = int(box.get_attribute("data-run") or 0)
        d.execute_script(
            "return window.__TAURI_INTERNALS__.invoke('plugin:event|emit',"
            " {event: 'tauri://drag-drop', payload: {paths: [arguments[0]], position: {x: 10, y: 10}}})",
            str(path),
        )
        try:
            WebDriverWait(d, TIMEOUT_S).until(
                lambda _: int(box.get_attribute("data-run") or 0) > before and box.get_attribute("data-busy") == "false"
            )
        except TimeoutException:
            return "timeout: " + box.text
        return d.find_element(By.CSS_SELECTOR, "[data-outcome]").get_attribute("data-outcome") or ""

    def rows(self) -> dict[str, tuple[str, str]]:
        """name -> (badge text, evidence) for every row of the checks table."""
        out = {}
        for tr in self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=checks] tbody tr"):
            badge = tr.find_element(By.CSS_SELECTOR, ".badge").text.strip()
            out[tr.get_attribute("data-check")] = (badge, tr.find_element(By.CSS_SELECTOR, ".detail").text)
        return out


def main() -> int:
    started = time.monotonic()
    shots = Path(os.environ["E2E_SHOTS"]) if os.environ.get("E2E_SHOTS") else None
    with tempfile.TemporaryDirectory(prefix="vargate-e2e-") as tmp:
        pack, tampered, proof, key = make_files(Path(tmp))
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": os.environ["VARGATE_APP"]})
        driver = webdriver.Remote(command_executor=os.environ["WEBDRIVER_URL"], options=options)
        # The app runs on this machine: send file paths as they are, not uploaded through Selenium Grid's /se/file.
        driver.file_detector = UselessFileDetector()
        run = Run(driver, shots)
        try:
            WebDriverWait(driver, TIMEOUT_S).until(lambda d: "Vargate Desktop v" in d.find_element(By.ID, "status").text)
            run.check("window shows the Verify screen and the version line", True)
            run.shot("verify-empty")

            outcome = run.load(pack, key)
            rows = run.rows()
            run.check("a real pack with its key pinned is VALID", outcome == "valid", outcome)
            run.check("the header says VALID", driver.find_element(By.CSS_SELECTOR, "[data-testid=outcome]").text == "VALID")
            for name in ("manifest signature", "session complete"):
                run.check(f"row '{name}' passes", rows.get(name, ("missing",))[0] == "PASS", str(rows.get(name)))
            run.check("no row fails", all(badge != "FAIL" for badge, _ in rows.values()), str(rows))
            run.shot("verify-valid")

            outcome = run.load(tampered, key)
            rows = run.rows()
            failing = {name: ev for name, (badge, ev) in rows.items() if badge == "FAIL"}
            run.check("a copy with one byte flipped is INVALID", outcome == "invalid", outcome)
            run.check("the header says INVALID", driver.find_element(By.CSS_SELECTOR, "[data-testid=outcome]").text == "INVALID")
            run.check("at least one row fails, with its evidence", bool(failing) and all(failing.values()), str(rows))
            run.shot("verify-tampered")

            outcome = run.drop(tampered)
            run.check("a dropped tampered pack is INVALID (verified by path)", outcome == "invalid", outcome)
            outcome = run.drop(pack)
            run.check("a dropped pack is VALID (verified by path)", outcome == "valid", outcome)

            outcome = run.load(proof, key)
            run.check("a bare proof file with its key pinned is VALID", outcome == "valid", outcome)

            outcome = run.load(pack, "")
            run.check("without a key the pack's origin is unverified", outcome == "unverified_origin", outcome)

            outcome = run.load(pack, "not-a-key")
            error = driver.find_elements(By.CSS_SELECTOR, "[data-testid=error]")
            run.check("a malformed key is an error naming the key", outcome == "error" and "verifier key" in error[0].text if error else False, outcome)
            run.check("the key field is marked invalid", driver.find_element(By.ID, "vkey").get_attribute("aria-invalid") == "true")
        except Exception as e:  # A broken step still reports, and the driver still quits.
            run.check("the test ran to the end", False, "".join(traceback.format_exception(e)[-4:]))
            run.shot("verify-error")
        finally:
            driver.quit()
    print(f"e2e: Verify screen in a real window, {time.monotonic() - started:.1f}s")
    print(f"e2e: {run.passed} passed, {run.failed} failed")
    return 1 if run.failed or not run.passed else 0


if __name__ == "__main__":
    sys.exit(main())
