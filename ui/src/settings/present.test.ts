import { describe, expect, it } from "vitest";
import { checkApiKey, modeLine } from "./present";

describe("settings", () => {
  it("says the mode in words", () => {
    expect(modeLine({ demo: true, error: null })).toMatch(/^Demo: .*built-in simulator/);
    expect(modeLine({ demo: false, error: null })).toMatch(/API key/);
    expect(modeLine({ demo: false, error: "no keychain" })).toBe("Engine not running: no keychain");
  });

  it("takes an API key as one word", () => {
    expect(checkApiKey("  sk-ant-123 \n")).toEqual({ ok: true, key: "sk-ant-123" });
    expect(checkApiKey(" ").ok).toBe(false);
    expect(checkApiKey("sk ant").ok).toBe(false);
  });
});
