import { describe, expect, it } from "vitest";
import { COMPONENTS, formatStatusLine } from "./status";

describe("formatStatusLine", () => {
  it("shows the shell's version and how many components are ready", () => {
    expect(formatStatusLine("0.1.0", COMPONENTS)).toBe(
      "Vargate Desktop v0.1.0 · 2 of 3 components ready",
    );
  });

  it("does not double a leading v and ignores surrounding whitespace", () => {
    expect(formatStatusLine(" v1.2.3\n", COMPONENTS)).toBe(
      "Vargate Desktop v1.2.3 · 2 of 3 components ready",
    );
  });

  it("says when it runs outside the desktop shell", () => {
    expect(formatStatusLine(null, [{ name: "Audit log", ready: false }])).toBe(
      "Vargate Desktop browser preview · 0 of 1 component ready",
    );
  });
});
