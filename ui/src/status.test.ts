import { describe, expect, it } from "vitest";
import { formatStatusLine } from "./status";

const info = { version: "0.1.0", demo: true, tenant: "demo", error: null };

describe("formatStatusLine", () => {
  it("shows the version, the mode and the tenant", () => {
    expect(formatStatusLine(info)).toBe("Vargate Desktop v0.1.0 · demo mode · tenant demo");
  });

  it("does not double a leading v and ignores surrounding whitespace", () => {
    expect(formatStatusLine({ ...info, version: " v1.2.3\n", demo: false, tenant: "acme" })).toBe(
      "Vargate Desktop v1.2.3 · tenant acme",
    );
  });

  it("says when the engine is not running", () => {
    expect(formatStatusLine({ ...info, tenant: "", demo: false, error: "no keychain" })).toBe(
      "Vargate Desktop v0.1.0 · engine not running",
    );
  });

  it("says when it runs outside the desktop shell, and only the name until the shell answered", () => {
    expect(formatStatusLine(null, false)).toBe("Vargate Desktop browser preview");
    expect(formatStatusLine(null)).toBe("Vargate Desktop");
  });
});
