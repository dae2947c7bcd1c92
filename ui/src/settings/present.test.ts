import { describe, expect, it } from "vitest";
import { checkApiKey, fromForm, modeLine, toForm } from "./present";

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

  it("turns saved settings into the form and back", () => {
    const saved = { tenant: "acme", profile: "default", anchor_rpc: "http://127.0.0.1:8545", anchor_chain_id: 31337, notifications: false };
    const form = toForm(saved);
    expect(form.anchorChainId).toBe("31337");
    expect(fromForm(form)).toEqual({ ok: true, settings: saved });
    const empty = toForm({ tenant: null, profile: null, anchor_rpc: null, anchor_chain_id: null, notifications: true });
    expect(empty).toEqual({ tenant: "", profile: "", anchorRpc: "", anchorChainId: "", notifications: true });
    expect(fromForm({ ...empty, tenant: "  " })).toEqual({
      ok: true,
      settings: { tenant: null, profile: null, anchor_rpc: null, anchor_chain_id: null, notifications: true },
    });
  });

  it("refuses a chain id that is not a whole number, and anchoring half set", () => {
    const base = { tenant: "", profile: "", anchorRpc: "http://node", anchorChainId: "", notifications: true };
    expect(fromForm({ ...base, anchorChainId: "1.5" }).ok).toBe(false);
    expect(fromForm({ ...base, anchorChainId: "0" }).ok).toBe(false);
    expect(fromForm({ ...base, anchorChainId: "99999999999" }).ok).toBe(false);
    expect(fromForm(base)).toMatchObject({ ok: false, problem: expect.stringMatching(/both/) });
    expect(fromForm({ ...base, anchorRpc: "", anchorChainId: "1" }).ok).toBe(false);
    expect(fromForm({ ...base, anchorChainId: "11155111" })).toMatchObject({ ok: true });
  });
});
