import { describe, expect, it } from "vitest";
import { approvalBadge, decisionBadge, riskBadge } from "./badges";

describe("badges", () => {
  it.each([
    ["allow", "ALLOW", "ok"],
    ["deny", "DENY", "bad"],
    ["require_approval", "HELD", "wait"],
    ["observed", "OBSERVED", "neutral"],
    ["interrupt", "INTERRUPT", "severe"],
  ])("decision %s reads %s", (decision, label, tone) => {
    expect(decisionBadge(decision)).toEqual({ label, tone });
  });

  it("spells out what it does not know rather than hiding it", () => {
    expect(decisionBadge("escalate")).toEqual({ label: "ESCALATE", tone: "neutral" });
    expect(decisionBadge("")).toEqual({ label: "—", tone: "neutral" });
  });

  it("names risks and approval statuses", () => {
    expect(riskBadge("high")).toEqual({ label: "HIGH", tone: "severe" });
    expect(riskBadge("low").tone).toBe("ok");
    expect(approvalBadge("expired")).toEqual({ label: "EXPIRED", tone: "neutral" });
    expect(approvalBadge("pending").tone).toBe("wait");
  });
});
