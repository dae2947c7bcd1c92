import { describe, expect, it } from "vitest";
import { SCREENS, firstScreen, pendingBadge, pendingWords } from "./screens";

describe("screens", () => {
  it("lists every screen once, Verify and Settings working without the engine", () => {
    expect(SCREENS.map((s) => s.id)).toEqual(["sessions", "approvals", "policies", "export", "verify", "settings"]);
    expect(SCREENS.filter((s) => !s.engine).map((s) => s.id)).toEqual(["verify", "settings"]);
  });

  it("opens on the sessions, or on Verify when the engine did not start", () => {
    expect(firstScreen(null)).toBe("sessions");
    expect(firstScreen("no keychain")).toBe("verify");
  });

  it("badges the pending count, and nothing when none wait", () => {
    expect(pendingBadge(0)).toBeNull();
    expect(pendingBadge(3)).toBe("3");
    expect(pendingBadge(150)).toBe("99+");
    expect(pendingWords(1)).toBe("1 pending");
    expect(pendingWords(4)).toBe("4 pending");
  });
});
