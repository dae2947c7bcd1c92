import { describe, expect, it } from "vitest";
import { DECISION_CHOICES, NO_FILTER, TYPE_CHOICES, filterArgs, isFiltered } from "./filters";

describe("timeline filters", () => {
  it("asks for everything when nothing is chosen", () => {
    expect(filterArgs(NO_FILTER)).toEqual({ types: [], decisions: [] });
    expect(isFiltered(NO_FILTER)).toBe(false);
  });

  it("turns a choice into the record types and decisions it means", () => {
    expect(filterArgs({ type: "tools", decision: "deny" })).toEqual({
      types: ["agent.tool_use", "agent.custom_tool_use", "agent.mcp_tool_use"],
      decisions: ["deny"],
    });
    expect(filterArgs({ type: "decisions", decision: "require_approval" })).toEqual({
      types: ["vargate.decision"],
      decisions: ["require_approval"],
    });
    expect(isFiltered({ type: "all", decision: "interrupt" })).toBe(true);
  });

  it("treats an unknown choice as no filter", () => {
    expect(filterArgs({ type: "nope", decision: "nope" })).toEqual({ types: [], decisions: [] });
  });

  it("offers every decision the log records", () => {
    const decisions = DECISION_CHOICES.flatMap((c) => c.values);
    expect(decisions.sort()).toEqual(["allow", "deny", "interrupt", "observed", "require_approval"]);
    expect(new Set(TYPE_CHOICES.map((c) => c.id)).size).toBe(TYPE_CHOICES.length);
  });
});
