"""Real-window test of three things a reviewer does beyond reviewing, in demo mode: start a session, show an
exported pack in the file manager, and anchor the log.

The app runs with a policy folder (tests/e2e/policies, through VARGATE_POLICIES) whose `demo` profile allows
two sessions started through Vargate a day. scripts/e2e.sh runs a test file manager
(tests/notifications/file_manager.py, as the `# e2e-file-manager` line asks) that owns
org.freedesktop.FileManager1 on the app's D-Bus and records every ShowItems call to
VARGATE_TEST_FILE_MANAGER_LOG. The test starts a local chain itself (anvil, from tests/evm or VARGATE_ANVIL).

  New session    the form refuses a start without an agent; a session of the demo's risky-bash agent started
                 with a first message appears in the list, its calls governed; a second start is allowed and
                 the third is refused, the window saying which limit and that the refusal is recorded; the
                 log's control stream holds the two starts and the refusal, each by the reviewer.
  Show in folder that session's exported pack is shown in the file manager: the test file manager was asked
                 ShowItems with exactly the pack's file URI.
  Anchoring      with no chain set, the panel says anchoring is off and "Anchor now" says it is not
                 configured; with anvil set in Settings, the panel shows the chain and the paying account,
                 which the test funds; "Anchor now" then shows the anchor, and its transaction is in the
                 block the panel names, as anvil itself says.

Screenshots: sessions-new, sessions-refused, export-show, settings-anchoring-off, settings-anchored.
"""
# e2e-env: VARGATE_POLICIES=tests/e2e/policies
# e2e-file-manager

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from harness import App, Run, app_did_not_start, cli, css, shots_dir, start_app, testid, type_into
from selenium.webdriver.support.ui import Select

TENANT = "demo"
REPO = Path(__file__).resolve().parents[2]
CHAIN_ID = 31337
TITLE = "Started by the e2e test"


def main() -> int:
    started = time.monotonic()
    try:
        driver = start_app()
    except Exception as e:
        return app_did_not_start(e, "new session, show in folder, anchoring (demo mode)", started)
    run = Run(driver, shots_dir())
    chain = None
    try:
        app = App(driver, run)
        session = new_sessions(app, run)
        if session:
            show_in_folder(app, run, session)
        chain = anchoring(app, run)
    except Exception as e:  # A broken step still reports, and the driver still quits.
        run.broke(e, "reviewer-actions-error")
    finally:
        driver.quit()
        if chain:
            chain.terminate()
            chain.wait(timeout=10)
    return run.report("new session, show in folder, anchoring (demo mode)", started)


# --- New session.


def reviewer() -> str:
    """The app's reviewer: the user's name from the environment it shares with this test (as the shell reads it)."""
    names = (os.environ.get(v, "").strip() for v in ("USER", "LOGNAME", "USERNAME"))
    return next((n for n in names if n), "desktop user")


def start(app: App, run: Run, agent: str | None, message: str) -> None:
    """Opens the form, picks `agent` (an option whose label starts with it) and an environment, and submits."""
    d = app.d
    app.one(testid("new-session")).click()
    options = run.wait(
        "the new-session form lists the simulator's agents",
        lambda: [o for o in css(d, f"{testid('new-agent')} option") if agent and o.text.startswith(f"{agent} — ")]
        or (agent is None and len(css(d, f"{testid('new-agent')} option")) > 1),
        timeout=60,
    )
    if agent and options:
        Select(app.one(testid("new-agent"))).select_by_value(options[0].get_attribute("value"))
    elif agent is None:
        Select(app.one(testid("new-agent"))).select_by_index(1)
    Select(app.one(testid("new-environment"))).select_by_index(1)
    type_into(app.one(testid("new-title")), TITLE)
    type_into(app.one(testid("new-message")), message)


def new_sessions(app: App, run: Run) -> str | None:
    d = app.d
    run.wait("the demo's sessions are listed", lambda: css(d, testid("session-row")), timeout=60)

    # Without an agent the form says what is missing, and nothing is started.
    app.one(testid("new-session")).click()
    run.wait("the new-session form opens", lambda: css(d, testid("new-session-form")))
    app.one(testid("start-session")).click()
    run.wait(
        "a start without an agent is refused by the form, saying why",
        lambda: "Choose the agent" in app.one(testid("start-problem")).text,
    )
    app.one(f"{testid('new-session-form')} .button.secondary").click()

    start(app, run, "demo-risky-bash", "Clean up the build folder.")
    run.shot("sessions-new")
    app.one(testid("start-session")).click()
    notice = run.wait("the start is confirmed with the session's id", lambda: css(d, testid("start-notice")))
    if not notice:
        problem = css(d, "[data-testid=new-session-form] .problem")
        print("      the form said: " + (problem[0].text if problem else "(nothing)"))
        return None
    session = notice[0].get_attribute("data-session")
    row = run.wait(
        f"the new session {session} is listed, with its agent, and its calls are governed",
        lambda: [
            r
            for r in css(d, f"{testid('session-row')}[data-session='{session}']")
            if "demo-risky-bash" in r.text and int(css(r, "[data-count=governed]")[0].text) > 0
        ],
        timeout=60,
    )
    run.check("the new session has a risk badge", bool(row) and bool(css(row[0], testid("risk"))))

    # The second start is allowed, the third is over the profile's daily limit of two.
    start(app, run, None, "")
    app.one(testid("start-session")).click()
    second = run.wait("a second start is allowed", lambda: css(d, testid("start-notice")))
    run.check(
        "without a first message, the window says the session waits for one",
        bool(second) and "waits for a first message" in second[0].text,
        second[0].text if second else "",
    )
    start(app, run, None, "")
    app.one(testid("start-session")).click()
    refused = run.wait("the third start is refused", lambda: css(d, testid("start-refused")))
    if refused:
        text = refused[0].text
        run.check(
            "the refusal says so, which limit, and that it is recorded",
            "Vargate refused to start this session" in text
            and "the profile allows 2" in text
            and "recorded in the audit log" in text,
            text,
        )
    run.shot("sessions-refused", scroll_to=testid("new-session-form"))
    app.one(f"{testid('new-session-form')} .button.secondary").click()

    # The control stream of the log holds who started what, and the refusal.
    lines = cli("timeline", "--tenant", TENANT, "--session", "vargate:control", "--json").splitlines()
    records = [json.loads(line)["record"] for line in lines if line.strip()]
    kinds = [r["type"] for r in records]
    run.check(
        "the log records two starts and a refusal",
        kinds == ["vargate.session_started", "vargate.session_started", "vargate.session_refused"],
        str(kinds),
    )
    run.check(
        "each by the reviewer, the first naming the new session",
        bool(records)
        and records[0]["payload"].get("session_id") == session
        and all(r["payload"].get("by") == reviewer() for r in records),
        f"{[r['payload'] for r in records]} (reviewer {reviewer()!r})",
    )
    return session


# --- Show in folder.


def shown_items() -> list[dict]:
    path = Path(os.environ.get("VARGATE_TEST_FILE_MANAGER_LOG", ""))
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def show_in_folder(app: App, run: Run, session: str) -> None:
    d = app.d
    app.go("export")
    Select(app.one(testid("export-session"))).select_by_value(session)
    app.one(testid("export-button")).click()
    field = run.wait("the new session's pack is exported", lambda: css(d, testid("export-path")))
    if not field:
        return
    pack = Path(field[0].get_attribute("value"))
    app.one(testid("export-show")).click()
    shown = run.wait("the window says the file manager was asked", lambda: css(d, testid("export-shown")))
    if shown:
        run.check("it names the pack", pack.name in shown[0].text and "Asked" in shown[0].text, shown[0].text)
    calls = run.wait("the file manager got one ShowItems call", lambda: shown_items())
    if calls:
        want = pack.resolve().as_uri()
        run.check(
            "ShowItems asked for exactly the pack's file URI",
            calls[-1]["method"] == "ShowItems" and calls[-1]["uris"] == [want],
            f"{calls[-1]} (wanted {want})",
        )
    run.shot("export-show")


# --- Anchoring.


def rpc(url: str, method: str, params: list):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        reply = json.load(answer)
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def start_anvil() -> tuple[subprocess.Popen, str]:
    """A local chain that mines a block a second (anchors wait for two confirmations)."""
    binary = Path(
        os.environ.get("VARGATE_ANVIL") or REPO / "tests/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
    )
    if not binary.is_file():
        raise RuntimeError(f"anvil not found at {binary}: run scripts/install-deps.sh --test")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    child = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--block-time", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if int(rpc(url, "eth_chainId", []), 16) == CHAIN_ID:
                return child, url
        except OSError:
            time.sleep(0.1)
    child.terminate()
    raise RuntimeError("anvil did not answer within 15 s")


def anchoring(app: App, run: Run) -> subprocess.Popen | None:
    d = app.d
    app.go("settings")
    mode = run.wait(
        "with no chain set, the Anchoring panel says anchoring is off",
        lambda: app.one(testid("anchoring-mode")).text.startswith("Off"),
    )
    if not mode:
        return None
    app.one(testid("anchor-now")).click()
    result = run.wait(
        "'Anchor now' says anchoring is not configured, and what to set",
        lambda: [
            p
            for p in css(d, f"{testid('anchor-now-result')} p[data-ok=false]")
            if "Anchoring is not configured" in p.text and "JSON-RPC endpoint" in p.text
        ],
    )
    if result:
        run.shot("settings-anchoring-off", scroll_to=testid("anchoring"))

    chain, url = start_anvil()
    type_into(app.one(testid("settings-rpc")), url)
    type_into(app.one(testid("settings-chain")), str(CHAIN_ID))
    app.one(testid("settings-save")).click()
    run.wait(
        "saved, the engine restarts with anchoring on",
        lambda: css(d, testid("settings-notice")) and "restarted" in app.one(testid("settings-notice")).text,
    )
    run.wait(
        "the panel shows the chain it anchors on",
        lambda: app.one(testid("anchoring-mode")).text
        == f"On: checkpoints are anchored on chain {CHAIN_ID} through {url}.",
    )
    address = run.wait("and the account that pays", lambda: css(d, testid("anchoring-address")))
    if not address:
        return chain
    rpc(url, "anvil_setBalance", [address[0].text, hex(10**20)])

    app.one(testid("anchor-now")).click()
    done = run.wait(
        "'Anchor now' anchors the log (or finds it anchored already)",
        lambda: [
            p
            for p in css(d, f"{testid('anchor-now-result')} p[data-ok=true]")
            if p.text.startswith("Anchored: ") or p.text.startswith("Nothing new to anchor")
        ],
        timeout=90,
    )
    if not done:
        problem = css(d, f"{testid('anchor-now-result')} p")
        print("      the panel said: " + (problem[0].text if problem else "(nothing)"))
        return chain
    last = run.wait("the panel shows the newest anchor", lambda: css(d, testid("anchoring-last")))
    if last:
        tx = app.one(testid("anchoring-tx")).text
        block = last[0].get_attribute("data-block")
        receipt = rpc(url, "eth_getTransactionReceipt", [tx])
        run.check(
            "its transaction is in the block the panel names, as the chain says",
            receipt is not None and int(receipt["blockNumber"], 16) == int(block) and receipt["status"] == "0x1",
            f"{tx} block {block}: {receipt}",
        )
        if done[0].text.startswith("Anchored: "):
            run.check("the outcome names that block", f"block {block}." in done[0].text, done[0].text)
    attempt = css(d, testid("anchoring-attempt"))
    run.check(
        "the last attempt succeeded",
        bool(attempt) and attempt[0].get_attribute("data-failing") == "false",
        attempt[0].text if attempt else "",
    )
    run.shot("settings-anchored", scroll_to=testid("anchoring"))
    return chain


if __name__ == "__main__":
    sys.exit(main())
