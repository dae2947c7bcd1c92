/** The Settings screen's words and checks. */
import type { AppInfo, Settings } from "../bindings";

/** The mode in one sentence. */
export function modeLine(info: Pick<AppInfo, "demo" | "error">): string {
  if (info.error) return `Engine not running: ${info.error}`;
  if (info.demo) return "Demo: sessions come from the built-in simulator; no API key is configured.";
  return "Governing the managed-agents API with the stored API key.";
}

/** An API key as it is stored (trimmed), or why not: the engine takes one word with no spaces. */
export function checkApiKey(text: string): { ok: true; key: string } | { ok: false; problem: string } {
  const key = text.trim();
  if (key === "") return { ok: false, problem: "Paste the API key first." };
  if (/\s/.test(key)) return { ok: false, problem: "An API key is one word with no spaces." };
  return { ok: true, key };
}

/** The engine-settings form as typed: every field text, the notifications a checkbox. */
export interface SettingsForm {
  tenant: string;
  profile: string;
  anchorRpc: string;
  anchorChainId: string;
  notifications: boolean;
}

/** What the form shows for saved settings (absent values as empty fields). */
export function toForm(s: Settings): SettingsForm {
  return {
    tenant: s.tenant ?? "",
    profile: s.profile ?? "",
    anchorRpc: s.anchor_rpc ?? "",
    anchorChainId: s.anchor_chain_id == null ? "" : String(s.anchor_chain_id),
    notifications: s.notifications ?? true,
  };
}

/** The settings a form says, or what is wrong with it (the engine checks again, and names the field). */
export function fromForm(f: SettingsForm): { ok: true; settings: Settings } | { ok: false; problem: string } {
  const text = (v: string) => (v.trim() === "" ? null : v.trim());
  const chain = f.anchorChainId.trim();
  if (chain !== "" && !/^[1-9][0-9]{0,9}$/.test(chain)) {
    return { ok: false, problem: "The chain id is a whole number, such as 1 (Ethereum) or 11155111 (Sepolia)." };
  }
  const chainId = chain === "" ? null : Number(chain);
  if (chainId !== null && chainId > 4294967295) return { ok: false, problem: "That chain id is too large." };
  const rpc = text(f.anchorRpc);
  if ((rpc === null) !== (chainId === null)) {
    return { ok: false, problem: "Anchoring needs both an endpoint and a chain id, or neither." };
  }
  return {
    ok: true,
    settings: {
      tenant: text(f.tenant),
      profile: text(f.profile),
      anchor_rpc: rpc,
      anchor_chain_id: chainId,
      notifications: f.notifications,
    },
  };
}
