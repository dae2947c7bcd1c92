import { describe, expect, it } from "vitest";
import { MAX_REASON, checkReason } from "./reason";

describe("checkReason", () => {
  it("records a trimmed reason", () => {
    expect(checkReason("  runaway loop \n")).toEqual({ ok: true, reason: "runaway loop" });
  });

  it("refuses a blank or overlong reason, saying why", () => {
    expect(checkReason(" \t")).toMatchObject({ ok: false, problem: expect.stringContaining("required") });
    expect(checkReason("x".repeat(MAX_REASON + 1)).ok).toBe(false);
  });
});
