import { describe, expect, it } from "vitest";
import { caseSummary, cleanActionId, orderedCases, replayExplanation, replayTitle } from "./present";

describe("policy test cases", () => {
  it("sums the run up", () => {
    expect(caseSummary([])).toEqual({ text: "No test cases were found.", passed: false });
    const cases = [
      { name: "b", passed: true, detail: "" },
      { name: "a", passed: false, detail: "expected deny, got allow" },
      { name: "c", passed: true, detail: "" },
    ];
    expect(caseSummary(cases)).toEqual({ text: "2 of 3 passed, 1 failed", passed: false });
    expect(caseSummary(cases.filter((c) => c.passed))).toEqual({ text: "2 of 2 passed", passed: true });
    expect(orderedCases(cases).map((c) => c.name)).toEqual(["a", "b", "c"]);
  });
});

describe("replay", () => {
  it("says whether the decision reproduces, on which bundle", () => {
    expect(replayTitle({ reproduces: true })).toBe("REPRODUCES");
    expect(replayTitle({ reproduces: false })).toBe("DOES NOT REPRODUCE");
    expect(replayExplanation({ reproduces: false, bundle_hash: "sha256:ab" })).toContain("sha256:ab");
  });

  it("accepts an action id pasted with its quotes", () => {
    expect(cleanActionId('  "act_123" ')).toBe("act_123");
    expect(cleanActionId("act_123")).toBe("act_123");
  });
});
