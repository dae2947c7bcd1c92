"""What the real-window tests share: the app under WebDriver, the `vargate` CLI, waiting, and the pass/fail tally.

scripts/e2e.sh runs every tests/e2e/*_test.py with:
  VARGATE_BIN   the `vargate` CLI      VARGATE_APP   the desktop binary
  WEBDRIVER_URL tauri-driver's URL     E2E_SHOTS     a folder for screenshots (optional)
  VARGATE_DATA_DIR / VARGATE_EXPORT_DIR  where the app keeps its log and writes packs (a temporary folder)
"""

import json
import os
import subprocess
import time
import traceback
from pathlib import Path
from typing import Callable, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

TIMEOUT_S = 30
T = TypeVar("T")


def cli(*args: str, env: dict | None = None) -> str:
    """Runs the `vargate` CLI; its standard output."""
    out = subprocess.run(
        [os.environ["VARGATE_BIN"], *args], env=env or dict(os.environ), check=True, capture_output=True, text=True
    )
    return out.stdout


def start_app() -> webdriver.Remote:
    """Launches the desktop app (tauri-driver starts it) and waits for the shell's status line."""
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": os.environ["VARGATE_APP"]})
    driver = webdriver.Remote(command_executor=os.environ["WEBDRIVER_URL"], options=options)
    # The app runs on this machine: send file paths as they are, not uploaded through Selenium Grid's /se/file.
    driver.file_detector = UselessFileDetector()
    try:
        WebDriverWait(driver, TIMEOUT_S).until(lambda d: "Vargate Desktop v" in d.find_element(By.ID, "status").text)
    except Exception:
        # The app never showed its window (or died): end the session, or the next test cannot start one.
        try:
            driver.quit()
        except WebDriverException:
            pass
        raise
    return driver


def app_did_not_start(e: BaseException, title: str, started: float) -> int:
    """Reports a test whose app never came up as one failed check (the summary line is always printed)."""
    run = Run(None, None)
    run.check("the app starts and shows its window", False, "".join(traceback.format_exception(e)[-2:]).strip())
    return run.report(title, started)


def css(root, selector: str) -> list[WebElement]:
    return root.find_elements(By.CSS_SELECTOR, selector)


def testid(name: str, extra: str = "") -> str:
    """The CSS selector of a `data-testid`, e.g. testid("approval", "[data-status=pending]")."""
    return f"[data-testid={name}]{extra}"


def type_into(field: WebElement, text: str) -> None:
    """Replaces a field's text as a person would: WebDriver's clear() fires no input event for the page."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.BACKSPACE)
    if text:
        field.send_keys(text)


def settle_paint(driver) -> None:
    """Waits for the page to paint twice, so that a screenshot shows the DOM as it is now, not an earlier frame."""
    driver.set_script_timeout(10)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        " requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
    )


class Run:
    """The tally of one test file, and its screenshots."""

    def __init__(self, driver, shots: Path | None):
        self.driver, self.shots, self.passed, self.failed = driver, shots, 0, 0

    def check(self, what: str, ok: bool, info: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok    {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  {what} {info}", flush=True)
        return ok

    def wait(self, what: str, until: Callable[[], T], timeout: float = TIMEOUT_S) -> T | None:
        """Waits for `until()` to return something truthy; a check named `what` records whether it did."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while True:
            try:
                value = until()
                if value:
                    self.check(what, True)
                    return value
            except (StaleElementReferenceException, WebDriverException) as e:  # The page re-rendered meanwhile.
                last = e
            if time.monotonic() > deadline:
                self.check(
                    what, False, f"(not within {timeout:.0f}s{'; ' + str(last).splitlines()[0] if last else ''})"
                )
                return None
            time.sleep(0.2)

    def shot(self, name: str, scroll_to: str | None = None) -> None:
        """Saves the window as E2E_SHOTS/<name>.png, scrolled to `scroll_to` (a CSS selector) when given."""
        if not self.shots:
            return
        if scroll_to:
            found = css(self.driver, scroll_to)
            if found:
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", found[0])
        else:
            self.driver.execute_script("window.scrollTo(0, 0)")
        settle_paint(self.driver)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def broke(self, e: BaseException, shot: str) -> None:
        """A step raised: recorded as a failure with its traceback's end, and the window saved."""
        self.check("the test ran to the end", False, "".join(traceback.format_exception(e)[-4:]))
        try:
            self.shot(shot)
        except WebDriverException:
            pass

    def report(self, title: str, started: float) -> int:
        print(f"e2e: {title}, {time.monotonic() - started:.1f}s")
        print(f"e2e: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed or not self.passed else 0


class VerifyScreen:
    """The Verify screen's controls: the key field, the file picker, the verdict and its rows."""

    def __init__(self, driver):
        self.driver = driver

    def _wait_new(self, before: int) -> str:
        """Waits for a verification after the `before`-th to finish (not for the previous verdict still on
        screen); returns the outcome shown."""
        d = self.driver
        box = d.find_element(By.CSS_SELECTOR, testid("result"))
        try:
            WebDriverWait(d, TIMEOUT_S).until(
                lambda _: int(box.get_attribute("data-run") or 0) > before and box.get_attribute("data-busy") == "false"
            )
        except TimeoutException:
            return "timeout: " + box.text
        return d.find_element(By.CSS_SELECTOR, "[data-outcome]").get_attribute("data-outcome") or ""

    def runs(self) -> int:
        return int(self.driver.find_element(By.CSS_SELECTOR, testid("result")).get_attribute("data-run") or 0)

    def load(self, path: Path, key: str) -> str:
        """Pins `key` and chooses `path` in the screen's file picker; returns the outcome shown."""
        d = self.driver
        type_into(d.find_element(By.ID, "vkey"), key)
        before = self.runs()
        d.find_element(By.ID, "file").send_keys(str(path))
        return self._wait_new(before)

    def drop(self, path: Path) -> str:
        """Drops `path` on the window as Tauri reports a drop (WebDriver cannot drag from the desktop, so the
        test emits the event the window would get); the screen verifies it by path. Returns the outcome."""
        before = self.runs()
        self.driver.execute_script(
            "return window.__TAURI_INTERNALS__.invoke('plugin:event|emit',"
            " {event: 'tauri://drag-drop', payload: {paths: [arguments[0]], position: {x: 10, y: 10}}})",
            str(path),
        )
        return self._wait_new(before)

    def outcome_after(self, before: int) -> str:
        """The outcome of a verification started some other way (the Export screen's "Verify this pack")."""
        return self._wait_new(before)

    def title(self) -> str:
        return self.driver.find_element(By.CSS_SELECTOR, testid("outcome")).text

    def rows(self) -> dict[str, tuple[str, str]]:
        """name -> (badge text, evidence) for every row of the checks table."""
        out = {}
        for tr in css(self.driver, f"{testid('checks')} tbody tr"):
            badge = tr.find_element(By.CSS_SELECTOR, ".badge").text.strip()
            out[tr.get_attribute("data-check")] = (badge, tr.find_element(By.CSS_SELECTOR, ".detail").text)
        return out


def make_pack(work: Path, tenant: str, session: str) -> tuple[Path, Path, str]:
    """A real pack of a short session made with the CLI in a log of its own under `work` (not the app's), the
    session's bare proof file, and the log's verifier key."""
    env = dict(os.environ, VARGATE_DATA_DIR=str(work / "data"), VARGATE_KEYSTORE=f"insecure-file:{work / 'keys'}")
    events = work / "events.jsonl"
    lines = [
        {"session_id": session, "ts": f"2026-11-25T10:00:0{i}Z", "type": t, "payload": {"i": i, "text": f"step {i}"}}
        for i, t in enumerate(["session.status_running", "agent.message", "agent.tool_use", "agent.message"])
    ]
    events.write_text("".join(json.dumps(line) + "\n" for line in lines))
    cli("log", "import", str(events), "--tenant", tenant, env=env)
    pack = work / "pack.zip"
    cli("export", "--tenant", tenant, "--session", session, "--out", str(pack), env=env)
    proof = work / "proof.json"
    cli("proof", "--tenant", tenant, "--session", session, "--out", str(proof), env=env)
    key = cli("log", "key", "--tenant", tenant, env=env).strip()
    return pack, proof, key


def tamper(pack: Path, out: Path) -> Path:
    """A copy of `pack` with one byte flipped in the middle."""
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    return out


def shots_dir() -> Path | None:
    return Path(os.environ["E2E_SHOTS"]) if os.environ.get("E2E_SHOTS") else None


__all__ = [
    "By",
    "Run",
    "VerifyScreen",
    "app_did_not_start",
    "cli",
    "css",
    "make_pack",
    "shots_dir",
    "start_app",
    "tamper",
    "testid",
    "type_into",
]


class App:
    """The screens' controls, by their data-testid."""

    def __init__(self, driver, run: Run):
        self.d, self.run = driver, run

    def one(self, selector: str):
        return self.d.find_element(By.CSS_SELECTOR, selector)

    def go(self, screen: str) -> None:
        self.one(testid(f"nav-{screen}")).click()
        self.run.wait(
            f"the {screen} screen opens, its navigation entry current",
            lambda: self.one("#screen").get_attribute("data-screen") == screen
            and self.one(testid(f"nav-{screen}")).get_attribute("aria-current") == "page",
        )

    # Sessions and timelines.
    def open_session(self, session_id: str) -> bool:
        if css(self.d, testid("back")):
            self.one(testid("back")).click()
        row = self.run.wait(
            f"session {session_id} is listed",
            lambda: css(self.d, f"{testid('session-row')}[data-session='{session_id}']"),
        )
        if not row:
            return False
        row[0].find_element(By.CSS_SELECTOR, testid("session-open")).click()
        return bool(
            self.run.wait(
                f"its timeline opens with records",
                lambda: css(self.d, testid("timeline-row")) and self.timeline_settled(),
            )
        )

    def timeline_settled(self) -> bool:
        return self.one(testid("timeline")).get_attribute("data-loading") == "false"

    def rows(self) -> list[dict]:
        """Every timeline row as data (read in one script: a row at a time over WebDriver takes minutes for 450)."""
        return self.d.execute_script("""
            const text = (li, id) =>
              [...li.querySelectorAll(`[data-testid=${id}]`)].map((e) => e.textContent.trim()).join(" ");
            return [...document.querySelectorAll("[data-testid=timeline-row]")].map((li) => ({
              seq: Number(li.dataset.seq), kind: li.dataset.kind, decision: li.dataset.decision,
              badge: text(li, "decision"), summary: text(li, "summary"), approver: text(li, "approver"), el: li,
            }));
            """)

    def count_line(self) -> str:
        return self.one(testid("timeline-count")).text

    def filter(self, which: str, value: str) -> None:
        Select(self.one(testid(f"filter-{which}"))).select_by_value(value)
