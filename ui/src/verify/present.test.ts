import { describe, expect, it } from "vitest";
import type { CheckView, VerdictView } from "../bindings";
import { PICKER_MAX_BYTES, describeError, keyArgument, pickerRefusal, rows, summarize } from "./present";

const pass = (name: string): CheckView => ({ name, status: "pass", detail: `${name} ok` });
const warn = (name: string): CheckView => ({ name, status: "warn", detail: `${name} caveat` });
const fail = (name: string): CheckView => ({ name, status: "fail", detail: `${name} broken` });

function verdict(outcome: VerdictView["outcome"], checks: CheckView[]): VerdictView {
  return { outcome, origin_verified: outcome === "valid", checks };
}

describe("rows", () => {
  it("keeps the verifier's order and spells each status out", () => {
    const v = verdict("invalid", [pass("manifest signature"), warn("anchor"), fail("session complete")]);
    expect(rows(v)).toEqual([
      { name: "manifest signature", status: "pass", badge: "PASS", detail: "manifest signature ok" },
      { name: "anchor", status: "warn", badge: "WARN", detail: "anchor caveat" },
      { name: "session complete", status: "fail", badge: "FAIL", detail: "session complete broken" },
    ]);
  });
});

describe("summarize", () => {
  it("says VALID with the count and warnings, like the CLI", () => {
    const s = summarize(verdict("valid", [pass("a"), warn("b"), pass("c")]));
    expect(s.title).toBe("VALID");
    expect(s.explanation).toBe("3 checks passed, 1 with a warning, against the key you pinned.");
    expect(s.counts).toEqual({ pass: 2, warn: 1, fail: 0 });
  });

  it("says INVALID with how many failed", () => {
    const s = summarize(verdict("invalid", [pass("a"), fail("b"), fail("c")]));
    expect(s.title).toBe("INVALID");
    expect(s.explanation).toBe("2 of 3 checks failed.");
  });

  it("says an empty verdict checked nothing", () => {
    expect(summarize(verdict("invalid", [])).explanation).toBe("There was nothing to check.");
  });

  it("says UNVERIFIED ORIGIN and asks for the key when none was pinned", () => {
    const s = summarize(verdict("unverified_origin", [pass("a"), warn("b"), warn("c")]));
    expect(s.title).toBe("UNVERIFIED ORIGIN");
    expect(s.explanation).toMatch(/^3 checks passed, 2 with warnings, but against the key the file carries/);
    expect(s.explanation).toContain("verifier key");
  });

  it("uses the singular for one check", () => {
    expect(summarize(verdict("valid", [pass("a")])).explanation).toBe(
      "1 check passed, against the key you pinned.",
    );
  });
});

describe("describeError", () => {
  it("blames the key field only for a bad key", () => {
    expect(describeError({ code: "bad_key", message: "not a key" })).toEqual({
      message: "not a key",
      badKey: true,
    });
    expect(describeError({ code: "unreadable", message: "cannot read" }).badKey).toBe(false);
    expect(describeError("command verify_bytes not found")).toEqual({
      message: "command verify_bytes not found",
      badKey: false,
    });
  });
});

describe("keyArgument", () => {
  it("treats a blank field as no key and trims pasted whitespace", () => {
    expect(keyArgument("  \n")).toBeNull();
    expect(keyArgument(" vargate-1/acme+01234567+AQID \n")).toBe("vargate-1/acme+01234567+AQID");
  });
});

describe("pickerRefusal", () => {
  it("sends files up to the limit and points larger ones to a drop", () => {
    expect(pickerRefusal(0)).toBeNull();
    expect(pickerRefusal(PICKER_MAX_BYTES)).toBeNull();
    expect(pickerRefusal(200 * 1024 * 1024)).toBe(
      "This file has 200 MiB; files over 64 MiB are verified by dropping them on the window.",
    );
  });
});
