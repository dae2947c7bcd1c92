"""Real-window end-to-end test of the governance screens in demo mode, driven over WebDriver.

Before the app starts, a long session (450 records) is imported into the app's log with the `vargate` CLI, so
that paging has something to page. Then, in the app, with the built-in simulator running demo sessions:

  Sessions   the demo sessions are listed with risk badges; the demo banner shows.
  Approvals  a held call (send_email / open_in_editor wait 120 s) appears with a countdown; a deny without a
             reason is refused; denied with a reason, it leaves the pending list and shows as denied by the
             reviewer via the app.
  Timeline   that session's timeline shows decision badges, the hold, and the human's deny with its approver;
             filters narrow it; a payload opens; the long session pages 200 at a time ("Load more").
  Interrupt  the kill switch refuses a blank reason, then records the interrupt, which shows in the timeline.
  Policies   a decision replayed from the timeline reproduces; the shipped test cases all pass.
  Export     the interrupted session's pack is written into VARGATE_EXPORT_DIR; path, records, manifest hash.
  Verify     that pack verified from the Export screen without a key is UNVERIFIED ORIGIN (it carries its own
             key); with the log's key pinned it is VALID; a copy with one byte flipped is INVALID, a row failing.
  Settings   mode, tenant, reviewer and version; what is not available yet is said so.

A screenshot of each screen goes to E2E_SHOTS (<screen>.png). Run by scripts/e2e.sh (see harness.py).
"""

import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from harness import App, By, Run, VerifyScreen, app_did_not_start, cli, css, shots_dir, start_app, tamper, testid, type_into
from selenium.webdriver.support.ui import Select

TENANT = "demo"
LONG_SESSION = "sesn_e2e_long"
LONG_RECORDS = 450
PAGE = 200
DECISIONS = {"ALLOW", "DENY", "HELD", "OBSERVED", "INTERRUPT"}


def seed_long_session(work: Path) -> None:
    """Imports a 450-record session into the app's log (before the app opens it): every tenth a tool call."""
    start = datetime(2026, 11, 25, 9, 0, 0, tzinfo=timezone.utc)
    lines = []
    for i in range(LONG_RECORDS):
        ts = (start + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 10 == 9:
            event = {"type": "agent.tool_use", "payload": {"name": "bash", "input": {"command": f"echo {i}"}}}
        else:
            event = {"type": "agent.message", "payload": {"content": [{"type": "text", "text": f"step {i}"}]}}
        lines.append(json.dumps({"session_id": LONG_SESSION, "ts": ts, **event}))
    events = work / "long.jsonl"
    events.write_text("\n".join(lines) + "\n")
    cli("log", "import", str(events), "--tenant", TENANT)


def main() -> int:
    started = time.monotonic()
    export_dir = Path(os.environ.get("VARGATE_EXPORT_DIR", ""))
    with tempfile.TemporaryDirectory(prefix="vargate-e2e-app-") as tmp:
        work = Path(tmp)
        seed_long_session(work)
        try:
            driver = start_app()
        except Exception as e:
            return app_did_not_start(e, "governance screens in a real window (demo mode)", started)
        run = Run(driver, shots_dir())
        app = App(driver, run)
        try:
            steps(app, run, work, export_dir)
        except Exception as e:  # A broken step still reports, and the driver still quits.
            run.broke(e, "app-error")
        finally:
            driver.quit()
    return run.report("governance screens in a real window (demo mode)", started)


def steps(app: App, run: Run, work: Path, export_dir: Path) -> None:
    d = app.d

    # --- The shell and the Sessions screen.
    banner = css(d, testid("demo-banner"))
    run.check(
        "the demo banner says where sessions come from",
        bool(banner) and "built-in simulator" in banner[0].text and "no API key" in banner[0].text,
        banner[0].text if banner else "(none)",
    )
    run.check("no engine error is shown", not css(d, testid("engine-error")))
    run.check("the app opens on Sessions", app.one("#screen").get_attribute("data-screen") == "sessions")
    demo_rows = run.wait(
        "demo sessions are listed",
        lambda: [r for r in css(d, testid("session-row")) if r.get_attribute("data-session") != LONG_SESSION],
        timeout=60,
    )
    if demo_rows:
        badges = {r.find_element(By.CSS_SELECTOR, testid("risk")).text for r in css(d, testid("session-row"))}
        run.check(
            "each session has a risk badge in words",
            badges <= {"LOW", "ELEVATED", "HIGH"} and bool(badges),
            str(badges),
        )
    run.wait("several demo sessions run at once", lambda: len(css(d, testid("session-row"))) >= 5, timeout=60)
    run.shot("sessions")

    # --- Approvals: wait for a held call, refuse a blank reason, deny one with a reason.
    app.go("approvals")
    pending = run.wait(
        "a held call waits for approval",
        lambda: css(d, testid("approval", "[data-status=pending]")),
        timeout=90,
    )
    denied_id = denied_session = None
    if pending:
        # The badge and the list are fetched apart on the same change: the badge may follow a moment later.
        run.wait(
            "the navigation badges the pending count",
            lambda: [c for c in css(d, testid("pending-count")) if int(c.get_attribute("data-count") or 0) >= 1],
            timeout=15,
        )
        item = pending[0]
        denied_id = item.get_attribute("data-id")
        tool = item.get_attribute("data-tool")
        run.check(
            f"the held call is a tool the demo holds ({tool})",
            tool in {"send_email", "open_in_editor", "make_payment"},
            tool,
        )
        left = item.find_element(By.CSS_SELECTOR, testid("time-left")).text
        clock = re.fullmatch(r"(\d+):(\d\d) left", left)
        run.check("it shows a live countdown", clock is not None, left)
        time.sleep(2.5)
        later = int(item.find_element(By.CSS_SELECTOR, testid("time-left")).get_attribute("data-seconds"))
        if clock:
            run.check(
                "the countdown runs", later < int(clock.group(1)) * 60 + int(clock.group(2)), f"{left} → {later}s"
            )
        item.find_element(By.CSS_SELECTOR, "summary").click()
        run.check(
            "its details open (redacted arguments)",
            item.find_element(By.CSS_SELECTOR, "details").get_attribute("open") is not None,
        )
        run.shot("approvals")

        item.find_element(By.CSS_SELECTOR, testid("deny")).click()
        run.wait(
            "a deny without a reason is refused, saying why",
            lambda: "reason is required" in item.text and item.get_attribute("data-status") == "pending",
        )
        type_into(item.find_element(By.CSS_SELECTOR, testid("approval-reason")), "e2e: not for this customer")
        item.find_element(By.CSS_SELECTOR, testid("deny")).click()
        run.wait(
            "denied from the app, it leaves the pending list",
            lambda: not css(d, f"{testid('approval')}[data-id='{denied_id}']"),
        )
        notice = css(d, testid("approvals-notice"))
        run.check(
            "the screen says it was denied",
            bool(notice) and "Denied 1 request" in notice[0].text,
            notice[0].text if notice else "",
        )
        reviewer = app.one(testid("reviewer")).text
        app.one(testid("show-all")).click()
        decided = run.wait(
            "with decided requests shown, it is there as denied",
            lambda: css(d, f"{testid('approval')}[data-id='{denied_id}'][data-status=denied]"),
        )
        if decided:
            line = decided[0].find_element(By.CSS_SELECTOR, testid("decided")).text
            run.check(
                "it names the reviewer, the app and the reason",
                f"by {reviewer} via app: e2e: not for this customer" in line,
                line,
            )
            denied_session = (
                decided[0].find_element(By.CSS_SELECTOR, ".who .link").text.removeprefix("session ").strip()
            )
        app.one(testid("show-all")).click()

        # A batch: whatever else waits, selected at once and denied with one reason.
        rest = run.wait(
            "the pending list shows again when decided requests are hidden",
            lambda: app.one("#screen").get_attribute("data-screen") == "approvals"
            and not css(d, testid("approval", ":not([data-status=pending])"))
            and (css(d, testid("approval")) or css(d, testid("approvals-empty"))),
        )
        batch = (
            [a.get_attribute("data-id") for a in css(d, testid("approval", "[data-status=pending]"))] if rest else []
        )
        if batch:
            app.one(testid("select-all")).click()
            type_into(app.one(testid("batch-reason")), "e2e: batch deny")
            app.one(testid("batch-deny")).click()
            run.wait(
                f"denied as a batch, the selected requests ({len(batch)}) leave the pending list",
                lambda: not any(css(d, f"{testid('approval')}[data-id='{i}']") for i in batch),
            )
            notice = css(d, testid("approvals-notice"))
            run.check(
                "the screen says how many were denied",
                bool(notice) and re.search(r"Denied \d+ requests?", notice[0].text) is not None,
                notice[0].text if notice else "",
            )
        else:
            print("      (no other request was pending: the batch step was skipped)")

    # --- The denied call's session: its timeline, badges, filters, payloads, the kill switch.
    if denied_session:
        app.go("sessions")
        if app.open_session(denied_session):
            rows = run.wait(
                "the timeline shows the human's deny, with its approver",
                lambda: [r for r in app.rows() if r["decision"] == "deny" and "via app" in r["approver"]],
            )
            rows = app.rows()
            run.check("records are in order", [r["seq"] for r in rows] == sorted(r["seq"] for r in rows))
            run.check(
                "every record has a decision badge in words",
                all(r["badge"] in DECISIONS for r in rows),
                str({r["badge"] for r in rows}),
            )
            run.check("the hold is there as HELD", any(r["badge"] == "HELD" for r in rows))
            held = [r for r in rows if r["decision"] == "require_approval"]
            if held:
                held[0]["el"].find_element(By.CSS_SELECTOR, testid("toggle-payload")).click()
                payload = run.wait(
                    "a record's payload opens",
                    lambda: held[0]["el"].find_elements(By.CSS_SELECTOR, testid("payload")),
                )
                if payload:
                    run.check("the payload is the recorded JSON", json.loads(payload[0].text).get("tool") is not None)
            run.shot("timeline")

            app.filter("decision", "deny")
            run.wait(
                "filtered to denials, only denials show",
                lambda: app.timeline_settled() and app.rows() and all(r["decision"] == "deny" for r in app.rows()),
            )
            app.filter("decision", "all")
            app.filter("type", "decisions")
            run.wait(
                "filtered to decisions, only decision records show",
                lambda: app.timeline_settled()
                and app.rows()
                and all(r["kind"] == "vargate.decision" for r in app.rows()),
            )
            app.filter("type", "all")
            run.wait(
                "without filters, everything shows again",
                lambda: app.timeline_settled() and len(app.rows()) >= len(rows),
            )

            # The kill switch.
            app.one(testid("interrupt")).click()
            app.one(testid("interrupt-confirm")).click()
            run.wait("an interrupt without a reason is refused", lambda: css(d, testid("interrupt-problem")))
            type_into(app.one(testid("interrupt-reason")), "e2e: stop this session")
            app.one(testid("interrupt-confirm")).click()
            run.wait("the interrupt is confirmed", lambda: css(d, testid("interrupt-notice")))
            record = run.wait(
                "the interrupt record shows in the timeline, with its reason",
                lambda: [
                    r
                    for r in app.rows()
                    if r["kind"] == "vargate.interrupt"
                    and r["badge"] == "INTERRUPT"
                    and "e2e: stop this session" in r["summary"]
                ],
            )
            if record:
                run.shot("timeline-interrupt", scroll_to=f"{testid('timeline-row')}[data-kind='vargate.interrupt']")
            # Replay the hold from its payload: the Policies screen opens with the replay.
            held = [r for r in app.rows() if r["decision"] == "require_approval"]
            if held:
                held[0]["el"].find_element(By.CSS_SELECTOR, testid("toggle-payload")).click()
                replay = run.wait(
                    "a decision's payload offers its replay",
                    lambda: held[0]["el"].find_elements(By.CSS_SELECTOR, testid("replay")),
                )
                if replay:
                    replay[0].click()

    # --- Policies: the replay asked for from the timeline, then the test cases.
    if css(d, "#screen[data-screen=policies]"):
        outcome = run.wait(
            "a decision replayed from the timeline reproduces on its recorded bundle",
            lambda: css(d, f"{testid('replay-result')} [data-reproduces=true]"),
        )
        if not outcome:
            print("      replay said: " + app.one(testid("replay-result")).text)
    else:
        app.go("policies")
    run.wait("the active bundle's hash shows", lambda: app.one(testid("policy-hash")).text.strip())
    app.one(testid("run-tests")).click()
    summary = run.wait("the test cases run", lambda: css(d, testid("cases-summary")))
    if summary:
        text = summary[0].text
        m = re.match(r"(\d+) of (\d+) passed$", text)
        run.check("every shipped test case passes", bool(m) and m.group(1) == m.group(2) and int(m.group(2)) > 0, text)
        run.check(
            "one row per case, each PASS",
            len(css(d, testid("case", "[data-passed=true]"))) == int(m.group(2)) if m else False,
        )
    run.shot("policies")

    # --- Paging: the long session, 200 records a page.
    app.go("sessions")
    if app.open_session(LONG_SESSION):
        run.check(f"the first page holds {PAGE} records", len(app.rows()) == PAGE, str(len(app.rows())))
        run.check(
            "the count says how many of how many",
            app.count_line() == f"{PAGE} of {LONG_RECORDS} records",
            app.count_line(),
        )
        for shown in (2 * PAGE, LONG_RECORDS):
            more = css(d, testid("load-more"))
            if not run.check(f"'Load more' is offered below {len(app.rows())} records", bool(more)):
                break
            more[0].click()
            run.wait(
                f"'Load more' brings the timeline to {shown} records",
                lambda s=shown: len(app.rows()) == s and app.timeline_settled(),
            )
        seqs = [r["seq"] for r in app.rows()]
        run.check("every record once, in order", seqs == list(range(LONG_RECORDS)), f"{seqs[:3]}…{seqs[-3:]}")
        run.check("at the end, 'Load more' is gone", not css(d, testid("load-more")))
        app.filter("type", "tools")
        run.wait(
            "filtered to tool calls, the 45 tool calls show",
            lambda: app.timeline_settled()
            and len(app.rows()) == LONG_RECORDS // 10
            and all(r["kind"] == "agent.tool_use" for r in app.rows()),
        )

    # --- Export the interrupted session, then verify its pack.
    app.go("export")
    pack = None
    if denied_session:
        Select(app.one(testid("export-session"))).select_by_value(denied_session)
    app.one(testid("export-button")).click()
    path_field = run.wait("the pack is exported, its path shown", lambda: css(d, testid("export-path")))
    if path_field:
        pack = Path(path_field[0].get_attribute("value"))
        run.check(
            "the pack was written into VARGATE_EXPORT_DIR", pack.is_file() and pack.parent == export_dir, str(pack)
        )
        records = int(app.one(testid("export-records")).text)
        run.check("it holds the session's records", records > 0, str(records))
        manifest = app.one(testid("export-manifest")).text
        run.check("the manifest hash shows", re.fullmatch(r"[0-9a-f]{64}", manifest) is not None, manifest)
        run.check("the path can be copied", app.one(testid("export-copy")).is_enabled())
        run.shot("export")

        # Verify it from the Export screen: no key is pinned, so its origin is unverified.
        app.one(testid("export-verify")).click()
        screen = VerifyScreen(d)
        run.wait(
            "the Verify screen opens with the pack", lambda: app.one("#screen").get_attribute("data-screen") == "verify"
        )
        outcome = screen.outcome_after(0)
        run.check(
            "the exported pack without a key pinned is UNVERIFIED ORIGIN", outcome == "unverified_origin", outcome
        )
        key = cli("log", "key", "--tenant", TENANT).strip()
        outcome = screen.load(pack, key)
        rows = screen.rows()
        run.check("with the app log's key pinned it is VALID", outcome == "valid", f"{outcome} {rows}")
        run.check("no row fails", rows and all(b != "FAIL" for b, _ in rows.values()), str(rows))
        run.shot("verify", scroll_to=testid("result"))
        outcome = screen.load(tamper(pack, work / "tampered.zip"), key)
        failing = {n: ev for n, (b, ev) in screen.rows().items() if b == "FAIL"}
        run.check("a copy with one byte flipped is INVALID", outcome == "invalid", outcome)
        run.check("with a failing row and its evidence", bool(failing) and all(failing.values()), str(screen.rows()))
        run.shot("verify-tampered", scroll_to=testid("result"))

    # --- Settings.
    app.go("settings")
    mode = app.one(testid("settings-mode")).text
    run.check("Settings says demo mode", mode.startswith("Demo"), mode)
    run.check("the tenant is demo", app.one(testid("settings-tenant")).text == TENANT)
    run.check("the reviewer is named", bool(app.one(testid("settings-reviewer")).text.strip()))
    run.check("the version shows", re.fullmatch(r"\d+\.\d+\.\d+", app.one(testid("settings-version")).text) is not None)
    api = css(d, testid("settings-api"))
    run.check(
        "the API governed is the simulator on this computer",
        bool(api) and "127.0.0.1" in api[0].text,
        api[0].text if api else "",
    )
    run.check("an API key can be entered (not submitted here)", bool(css(d, testid("api-key"))))
    run.check("what cannot be set yet is said so", "not available" in app.one(testid("settings-not-yet")).text)
    run.shot("settings")

    # --- Engine settings: checked before saving, then the engine restarts with them.
    form = run.wait("the engine's settings are shown", lambda: css(d, testid("engine-settings")))
    if not form:
        return
    Select(app.one(testid("settings-profile"))).select_by_value("default")
    type_into(app.one(testid("settings-rpc")), "http://127.0.0.1:1")
    type_into(app.one(testid("settings-chain")), "1.5")
    app.one(testid("settings-save")).click()
    run.wait(
        "a chain id that is not a whole number is refused, saying why",
        lambda: css(d, testid("settings-problem")) and "whole number" in app.one(testid("settings-problem")).text,
    )
    type_into(app.one(testid("settings-rpc")), "")
    type_into(app.one(testid("settings-chain")), "")
    app.one(testid("settings-notifications")).click()
    app.one(testid("settings-save")).click()
    run.wait(
        "saved, the engine restarts with them",
        lambda: css(d, testid("settings-notice")) and "restarted" in app.one(testid("settings-notice")).text,
    )
    app.go("policies")
    run.wait(
        "the profile chosen now decides",
        lambda: css(d, testid("policy-profile")) and app.one(testid("policy-profile")).text == "default",
    )


if __name__ == "__main__":
    sys.exit(main())
