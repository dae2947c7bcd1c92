import { describe, expect, it } from "vitest";
import { EXCERPT_CHARS, actionIdOf, kindLabel, sealedPii, summaryOf } from "./present";

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

describe("sealed PII", () => {
  const row = (payload: unknown) =>
    ({ payload: typeof payload === "string" ? payload : JSON.stringify(payload) }) as Parameters<typeof sealedPii>[0];

  it("names the kinds a record's sealed original holds, once each", () => {
    const sealed = { sealed: { alg: "A256GCM" }, aad: "evt_1", pii: [{ path: "/a", kind: "payment_card" }, { path: "/b", kind: "email" }, { path: "/c", kind: "email" }] };
    expect(sealedPii(row({ text: "[REDACTED:payment_card]", vargate_sealed: sealed }))).toEqual(["payment_card", "email"]);
  });

  it("says personal data when the kinds are not given", () => {
    expect(sealedPii(row({ vargate_sealed: { sealed: {}, aad: "x" } }))).toEqual(["personal data"]);
  });

  it("is empty for records with nothing sealed, a failed seal, or a payload that is not JSON", () => {
    expect(sealedPii(row({ text: "hello" }))).toEqual([]);
    expect(sealedPii(row({ vargate_sealed: { error: "sealing failed", pii: [{ path: "/a", kind: "email" }] } }))).toEqual([]);
    expect(sealedPii(row("not json"))).toEqual([]);
  });
});
