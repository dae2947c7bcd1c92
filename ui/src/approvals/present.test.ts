import { describe, expect, it } from "vitest";
import { decidedLine, keepSelectable, ordered, readDetails, toggled } from "./present";

const base = { requested_at: "2026-11-25T12:00:00Z", expires_at: "2026-11-25T12:02:00Z" };

describe("approval queue", () => {
  it("puts pending requests first, the soonest to expire on top, then decided ones newest first", () => {
    const queue = [
      { ...base, id: "a", status: "denied", requested_at: "2026-11-25T11:00:00Z" },
      { ...base, id: "b", status: "pending", expires_at: "2026-11-25T12:05:00Z" },
      { ...base, id: "c", status: "approved", requested_at: "2026-11-25T11:30:00Z" },
      { ...base, id: "d", status: "pending", expires_at: "2026-11-25T12:01:00Z" },
    ];
    expect(ordered(queue).map((a) => a.id)).toEqual(["d", "b", "c", "a"]);
  });

  it("keeps only pending requests selected", () => {
    const selected = new Set(["a", "b", "gone"]);
    const queue = [
      { id: "a", status: "pending" },
      { id: "b", status: "expired" },
    ];
    expect([...keepSelectable(selected, queue)]).toEqual(["a"]);
    expect([...toggled(new Set(["a"]), "b", true)]).toEqual(["a", "b"]);
    expect([...toggled(new Set(["a"]), "a", false)]).toEqual([]);
  });

  it("says who decided, how and why", () => {
    const decided = { status: "denied", decided_by: "ana", channel: "app", reason: "not this customer" };
    expect(decidedLine(decided)).toBe("Denied by ana via app: not this customer");
    expect(decidedLine({ status: "expired", decided_by: "vargate", channel: "timer", reason: null })).toBe(
      "Expired by vargate via timer",
    );
    expect(decidedLine({ ...decided, status: "pending" })).toBeNull();
  });
});

describe("readDetails", () => {
  it("reads the reason, rules (violations first), findings and redacted arguments", () => {
    const details = JSON.stringify({
      tool_kind: "custom",
      params: { to: "[EMAIL_1]", subject: "Refund" },
      reason: "outbound e-mail needs a human",
      findings: {
        pii: [{ kind: "email" }, { kind: "email" }, { kind: "iban" }],
        dangerous: [],
        behaviour_score: 35,
        anomalies: [],
      },
      policy: { violations: ["email.external"], matched_rules: ["email.external", "email.any"] },
    });
    expect(readDetails(details)).toEqual({
      reason: "outbound e-mail needs a human",
      rules: ["email.external", "email.any"],
      findings: ["pii: email, iban", "behaviour score: 35"],
      params: JSON.stringify({ to: "[EMAIL_1]", subject: "Refund" }, null, 2),
    });
  });

  it("reads nothing from what is not a JSON object", () => {
    expect(readDetails("oops")).toEqual({ reason: null, rules: [], findings: [], params: null });
    expect(readDetails("[1]")).toEqual({ reason: null, rules: [], findings: [], params: null });
  });
});
