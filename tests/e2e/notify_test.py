"""Real-window test of deciding from a desktop notification, and of revealing masked PII, in demo mode.

scripts/e2e.sh runs the test notification server (tests/notifications/server.py) on the app's D-Bus for this
file, as its `# e2e-notify:` line asks: the server clicks the body of the first notification about send_email
and presses Approve on the first about open_in_editor, as a reviewer at their desk would, and logs every
notification to VARGATE_TEST_NOTIFY_LOG.

  Open          clicking a notification's body shows its request on the Approvals screen, focused.
  Notification  the demo's open_in_editor call is held; its notification names the tool and carries none of
                the call's arguments; Approve is pressed; the request shows approved by the reviewer via
                notification, and the session goes on: its timeline shows the hold, then an ALLOW decided by
                the reviewer via notification.
  Reveal        the support session's e-mail to a customer (card number masked in the log) is revealed for a
                stated reason; the original shows the number, and the reveal is itself a record of the session.
"""
# e2e-notify: default=send_email;approve=open_in_editor

import json
import os
import sys
import time
from pathlib import Path

from harness import App, By, Run, app_did_not_start, css, shots_dir, start_app, testid, type_into

CARD = "4111 1111 1111 1111"


def main() -> int:
    started = time.monotonic()
    try:
        driver = start_app()
    except Exception as e:
        return app_did_not_start(e, "approving from a notification, revealing PII (demo mode)", started)
    run = Run(driver, shots_dir())
    try:
        steps(App(driver, run), run)
    except Exception as e:  # A broken step still reports, and the driver still quits.
        run.broke(e, "notify-error")
    finally:
        driver.quit()
    return run.report("approving from a notification, revealing PII (demo mode)", started)


def notifications() -> list[dict]:
    path = Path(os.environ.get("VARGATE_TEST_NOTIFY_LOG", ""))
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def steps(app: App, run: Run) -> None:
    d = app.d
    reviewer = None

    # --- A notification's body clicked: the app shows that request.
    focused = run.wait(
        "clicking a notification's body shows its request in the app, focused",
        lambda: app.one("#screen").get_attribute("data-screen") == "approvals"
        and d.execute_script(
            "const a = document.activeElement?.closest('[data-testid=approval]'); return a ? a.dataset.tool : null;"
        )
        == "send_email",
        timeout=90,
    )
    if focused:
        run.shot("notification-opened")

    # --- Approved from the notification.
    app.go("approvals")
    app.one(testid("show-all")).click()
    approved = run.wait(
        "the held open_in_editor call is approved from its notification",
        lambda: css(d, testid("approval", "[data-tool=open_in_editor][data-status=approved]")),
        timeout=90,
    )
    session = None
    if approved:
        reviewer = app.one(testid("reviewer")).text
        line = approved[0].find_element(By.CSS_SELECTOR, testid("decided")).text
        run.check("it names the reviewer and the notification", f"by {reviewer} via notification" in line, line)
        session = approved[0].find_element(By.CSS_SELECTOR, ".who .link").text.removeprefix("session ").strip()
    shown = [n for n in notifications() if "summary" in n and "open_in_editor" in n["summary"]]
    run.check("a notification was shown for the request", bool(shown), json.dumps(notifications())[:300])
    if shown:
        text = shown[0]["summary"] + shown[0]["body"]
        run.check("it carries none of the call's arguments", "src/main.rs" not in text, text)
        run.check("it offers Approve and Deny", {"approve", "deny"} <= set(shown[0]["actions"][0::2]), str(shown[0]))
    run.check(
        "the server pressed Approve on it",
        any(n.get("action") == "approve" for n in notifications() if "invoked" in n),
    )

    # --- The session went on: the hold, then an ALLOW decided via the notification.
    if session:
        app.go("sessions")
        if app.open_session(session):
            allowed = run.wait(
                "the session's timeline shows the call allowed, decided via the notification",
                lambda: [
                    r
                    for r in app.rows()
                    if r["decision"] == "allow" and "via notification" in r["approver"] and reviewer in r["approver"]
                ],
            )
            held = [r for r in app.rows() if r["decision"] == "require_approval"]
            run.check("after its hold", bool(held) and bool(allowed) and held[0]["seq"] < allowed[0]["seq"])
            run.shot("notification-approved")

    # --- Revealing the support e-mail's card number, for a reason.
    app.go("sessions")
    support = run.wait(
        "the support session is listed",
        lambda: [r for r in css(d, testid("session-row")) if "demo-support" in r.text],
        timeout=60,
    )
    if not support or not app.open_session(support[0].get_attribute("data-session")):
        return
    mail = run.wait(
        "its e-mail tool call is in the timeline",
        lambda: [r for r in app.rows() if r["kind"] == "agent.custom_tool_use"],
    )
    if not mail:
        return
    row = mail[0]["el"]
    row.find_element(By.CSS_SELECTOR, testid("toggle-payload")).click()
    form = run.wait("its payload offers to reveal the masked PII", lambda: row.find_elements(By.CSS_SELECTOR, testid("reveal-form")))
    payload = row.find_element(By.CSS_SELECTOR, testid("payload")).text
    run.check("the payload shows the card number masked", CARD not in payload and "REDACTED" in payload, payload[:300])
    if not form:
        return
    row.find_element(By.CSS_SELECTOR, testid("reveal")).click()
    run.wait(
        "revealing without a reason is refused",
        lambda: row.find_elements(By.CSS_SELECTOR, testid("reveal-problem")),
    )
    type_into(row.find_element(By.CSS_SELECTOR, testid("reveal-reason")), "e2e: the customer disputes the e-mail")
    row.find_element(By.CSS_SELECTOR, testid("reveal")).click()
    revealed = run.wait("with a reason, the original shows", lambda: row.find_elements(By.CSS_SELECTOR, testid("revealed")))
    if revealed:
        run.check("the original has the card number", CARD in revealed[0].text, revealed[0].text[:300])
        run.shot("reveal", scroll_to=testid("revealed"))
    run.wait(
        "the reveal is a record of the session's timeline",
        lambda: [r for r in app.rows() if r["kind"] == "vargate.reveal"],
    )


if __name__ == "__main__":
    sys.exit(main())
