/** The Settings screen's words and checks. */
import type { AppInfo } from "../bindings";

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
