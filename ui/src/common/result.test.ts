import { describe, expect, it } from "vitest";
import { failureText, settle } from "./result";

describe("settle", () => {
  it("passes data through", async () => {
    expect(await settle(Promise.resolve({ status: "ok" as const, data: 3 }))).toEqual({ ok: true, data: 3 });
  });

  it("keeps the error's code for the screen to branch on", async () => {
    const answer = { status: "error" as const, error: { code: "not_started" as const, message: "no keychain" } };
    expect(await settle(Promise.resolve(answer))).toEqual({ ok: false, code: "not_started", message: "no keychain" });
  });

  it("turns a framework failure (a rejected string) into a failure without a code", async () => {
    expect(await settle(Promise.reject("command list_sessions not found"))).toEqual({
      ok: false,
      code: null,
      message: "command list_sessions not found",
    });
  });
});

describe("failureText", () => {
  it("says the engine is not running when it did not start", () => {
    expect(failureText({ code: "not_started", message: "no keychain" })).toBe("The engine is not running: no keychain");
    expect(failureText({ code: "failed", message: "disk full" })).toBe("disk full");
  });
});
