import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Refresher, singleFlight, topicOf } from "./refresh";

const log = { kind: "log" as const, size: 1 };
const requested = { kind: "approval_requested" as const, id: "apr_1" };

describe("topicOf", () => {
  it("sorts changes into the log and the approval queue", () => {
    expect(topicOf(log)).toBe("log");
    expect(topicOf(requested)).toBe("approvals");
    expect(topicOf({ kind: "approval_resolved", id: "apr_1", status: "denied" })).toBe("approvals");
  });
});

describe("Refresher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = () => new Refresher(300, 1000, undefined, () => Date.now());

  it("delivers a burst once, after a quiet spell", () => {
    const r = make();
    const fn = vi.fn();
    r.subscribe(["log"], fn);
    r.notify(log);
    vi.advanceTimersByTime(200);
    r.notify(log);
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("still delivers at least every maxWait while changes keep coming", () => {
    const r = make();
    const fn = vi.fn();
    r.subscribe(["log"], fn);
    for (let t = 0; t < 2000; t += 250) {
      r.notify(log);
      vi.advanceTimersByTime(250);
    }
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it("only calls listeners of the topics that changed, and none after they unsubscribe", () => {
    const r = make();
    const onLog = vi.fn();
    const onQueue = vi.fn();
    r.subscribe(["log"], onLog);
    const stop = r.subscribe(["approvals"], onQueue);
    r.notify(requested);
    vi.advanceTimersByTime(300);
    expect(onQueue).toHaveBeenCalledTimes(1);
    expect(onLog).not.toHaveBeenCalled();
    stop();
    r.notify(requested);
    vi.advanceTimersByTime(300);
    expect(onQueue).toHaveBeenCalledTimes(1);
  });

  it("forgets what gathered when stopped", () => {
    const r = make();
    const fn = vi.fn();
    r.subscribe(["log"], fn);
    r.notify(log);
    r.stop();
    vi.advanceTimersByTime(2000);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe("singleFlight", () => {
  it("never overlaps, and runs once more for any number of calls made meanwhile", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const release: (() => void)[] = [];
    const load = singleFlight(async () => {
      running += 1;
      runs += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
    });
    const first = load();
    const second = load();
    const third = load();
    expect(second).toBe(third);
    release.shift()?.();
    await first;
    await Promise.resolve();
    release.shift()?.();
    await second;
    expect(runs).toBe(2);
    expect(most).toBe(1);
  });

  it("runs again after a failed run", async () => {
    let runs = 0;
    const load = singleFlight(async () => {
      runs += 1;
      if (runs === 1) throw new Error("first fails");
    });
    const first = load().catch(() => "failed");
    const second = load();
    expect(await first).toBe("failed");
    await second;
    expect(runs).toBe(2);
  });
});
