"""Timeline page loads in the real window, for a 100,000-record session against a 1,000-record one (the baseline,
measured in the same run): opening the session until its first page shows, and each "Load more" until the
next page shows. Paging reads only the page asked for, so the ratio should stay near 1.

Run by scripts/bench-app.sh through scripts/e2e.sh (`scripts/e2e.sh tests/e2e/timeline_bench.py`); not a test:
it prints figures, and fails only if the screens do not show the pages at all.
"""

import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from harness import App, Run, app_did_not_start, cli, css, start_app, testid

TENANT = "demo"
SESSIONS = {"sesn_bench_small": 1_000, "sesn_bench_large": 100_000}
PAGES = 5
ROUNDS = 3


def seed(work: Path) -> None:
    start = datetime(2026, 11, 25, 9, 0, 0, tzinfo=timezone.utc)
    for session, n in SESSIONS.items():
        path = work / f"{session}.jsonl"
        with path.open("w") as f:
            for i in range(n):
                ts = (start + timedelta(milliseconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                text = f"step {i}: checked the ledger entry and moved on"
                event = {"type": "agent.message", "payload": {"content": [{"type": "text", "text": text}]}}
                f.write(json.dumps({"session_id": session, "ts": ts, **event}) + "\n")
        cli("log", "import", str(path), "--tenant", TENANT)


def timed(until) -> float:
    start = time.perf_counter()
    deadline = start + 60
    while not until():
        if time.perf_counter() > deadline:
            raise TimeoutError("the page never showed")
        time.sleep(0.005)
    return (time.perf_counter() - start) * 1000


def measure(app: App, session: str) -> tuple[list[float], list[float]]:
    d = app.d
    opens, mores = [], []
    for _ in range(ROUNDS):
        app.go("sessions")
        if css(d, testid("back")):
            app.one(testid("back")).click()
        row = app.run.wait(
            f"session {session} is listed", lambda: css(d, f"{testid('session-row')}[data-session='{session}']")
        )
        if not row:
            raise RuntimeError(f"session {session} is not listed")
        row[0].find_element("css selector", testid("session-open")).click()
        opens.append(timed(lambda: css(d, testid("timeline-row")) and app.timeline_settled()))
        for page in range(1, PAGES):
            shown = len(css(d, testid("timeline-row")))
            app.one(testid("load-more")).click()
            mores.append(
                timed(lambda: app.timeline_settled() and len(css(d, testid("timeline-row"))) > shown)
            )
    return opens, mores


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vargate-bench-timeline-") as tmp:
        seed(Path(tmp))
        try:
            driver = start_app()
        except Exception as e:
            return app_did_not_start(e, "timeline page loads", started)
        run = Run(driver, None)
        app = App(driver, run)
        try:
            figures = {session: measure(app, session) for session in SESSIONS}
        except Exception as e:
            run.broke(e, "bench-error")
            driver.quit()
            return run.report("timeline page loads", started)
        driver.quit()
    median = {s: (statistics.median(o), statistics.median(m)) for s, (o, m) in figures.items()}
    for session, n in SESSIONS.items():
        o, m = median[session]
        print(f"timeline of {n:>7} records: open to first page {o:6.0f} ms, next page {m:6.0f} ms (medians)")
    (so, sm), (lo, lm) = median["sesn_bench_small"], median["sesn_bench_large"]
    print(f"ratio 100k / 1k records: open {lo / so:.2f}×, next page {lm / sm:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
