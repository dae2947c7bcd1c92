import { describe, expect, it } from "vitest";
import type { TimelineRow } from "../bindings";
import { appendPage, emptyPages, followCursor, hasMore, shownLine } from "./paging";

function row(seq: number): TimelineRow {
  return {
    index: 1000 + seq,
    seq,
    ts: "2026-11-25T12:00:00Z",
    kind: "agent.message",
    source: "sse",
    decision: "observed",
    summary: "",
    rules: [],
    approver: null,
    payload: "{}",
  };
}

const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => row(from + i));

describe("timeline paging", () => {
  it("loads page after page with the cursor the engine gives, and stops at the end", () => {
    let p = appendPage(emptyPages(), { rows: rows(0, 200), next_after: 199 });
    expect(hasMore(p)).toBe(true);
    expect(p.next).toBe(199);
    p = appendPage(p, { rows: rows(200, 400), next_after: 399 });
    p = appendPage(p, { rows: rows(400, 450), next_after: null });
    expect(p.rows.map((r) => r.seq)).toEqual(rows(0, 450).map((r) => r.seq));
    expect(hasMore(p)).toBe(false);
  });

  it("never shows a record twice when pages overlap (a page fetched twice, a refresh racing a load)", () => {
    let p = appendPage(emptyPages(), { rows: rows(0, 5), next_after: null });
    p = appendPage(p, { rows: rows(3, 8), next_after: null });
    expect(p.rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("follows new records after the last one only when the end is shown", () => {
    expect(followCursor(emptyPages())).toBeUndefined();
    const empty = appendPage(emptyPages(), { rows: [], next_after: null });
    expect(followCursor(empty)).toBeNull();
    const end = appendPage(emptyPages(), { rows: rows(0, 10), next_after: null });
    expect(followCursor(end)).toBe(9);
    const more = appendPage(emptyPages(), { rows: rows(0, 200), next_after: 199 });
    expect(followCursor(more)).toBeUndefined();
  });

  it("says how many records are shown", () => {
    const p = appendPage(emptyPages(), { rows: rows(0, 200), next_after: 199 });
    expect(shownLine(p, 450, false)).toBe("200 of 450 records");
    expect(shownLine(p, 200, false)).toBe("200 records");
    expect(shownLine(p, null, true)).toBe("200 matching records so far");
    expect(shownLine(appendPage(emptyPages(), { rows: rows(0, 1) }), null, true)).toBe("1 matching record");
  });
});
