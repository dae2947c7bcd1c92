import { describe, expect, it } from "vitest";
import type { SessionRow } from "../bindings";
import { COUNT_NAMES, canInterrupt, counts, overview, statusBadge } from "./present";

function session(over: Partial<SessionRow> = {}): SessionRow {
  return {
    id: "sesn_1",
    agent: "demo-research",
    status: "running",
    records: 40,
    governed: 5,
    observed: 2,
    denied: 0,
    held: 0,
    interrupts: 0,
    risk: "low",
    last_at: "2026-11-25T12:00:00Z",
    ...over,
  };
}

describe("session list", () => {
  it("names each count and flags denials and holds", () => {
    expect(counts(session({ denied: 2 }))).toEqual([
      { name: "governed", value: 5, alarm: false },
      { name: "observed", value: 2, alarm: false },
      { name: "denied", value: 2, alarm: true },
      { name: "held", value: 0, alarm: false },
    ]);
    expect(counts(session()).map((c) => c.name)).toEqual([...COUNT_NAMES]);
  });

  it("sums the list up", () => {
    expect(overview([])).toBe("0 sessions");
    expect(overview([session()])).toBe("1 session · 1 running");
    const rows = [
      session(),
      session({ status: "interrupted", risk: "high" }),
      session({ status: "idle", risk: "elevated" }),
    ];
    expect(overview(rows)).toBe("3 sessions · 1 running · 1 high risk · 1 elevated risk");
  });

  it("spells out the status and offers the kill switch until a session ended", () => {
    expect(statusBadge("terminated").label).toBe("Ended");
    expect(canInterrupt(session({ status: "idle" }))).toBe(true);
    expect(canInterrupt(session({ status: "terminated" }))).toBe(false);
  });
});
