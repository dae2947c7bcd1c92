import { describe, expect, it } from "vitest";
import { EXCERPT_CHARS, actionIdOf, kindLabel, summaryOf } from "./present";

describe("timeline rows", () => {
  it.each([
    ["vargate.decision", "decision"],
    ["agent.tool_use", "tool use"],
    ["session.status_idle", "status: idle"],
    ["user.message", "message"],
    ["odd", "odd"],
  ])("%s reads %s", (kind, label) => {
    expect(kindLabel(kind)).toBe(label);
  });

  it("shows the engine's summary, else the start of the record's text", () => {
    expect(summaryOf({ summary: "bash DENY — rm -rf", payload: "{}" })).toBe("bash DENY — rm -rf");
    const message = JSON.stringify({
      content: [{ type: "text", text: "Refund  sent to\n[EMAIL_1]" }, { type: "image" }],
    });
    expect(summaryOf({ summary: " ", payload: message })).toBe("Refund sent to [EMAIL_1]");
    expect(summaryOf({ summary: "", payload: JSON.stringify({ text: "x".repeat(400) }) })).toHaveLength(EXCERPT_CHARS);
    expect(summaryOf({ summary: "", payload: JSON.stringify({ status: "idle" }) })).toBe("");
    expect(summaryOf({ summary: "", payload: "not json" })).toBe("");
  });

  it("finds the action id of a decision, and only of a decision", () => {
    const payload = JSON.stringify({ action_id: "act_1", tool: "bash" });
    expect(actionIdOf({ kind: "vargate.decision", payload })).toBe("act_1");
    expect(actionIdOf({ kind: "agent.tool_use", payload })).toBeNull();
    expect(actionIdOf({ kind: "vargate.decision", payload: "{}" })).toBeNull();
    expect(actionIdOf({ kind: "vargate.decision", payload: "not json" })).toBeNull();
  });
});
