import type { AppInfo } from "./bindings";

/**
 * The one-line status shown at the foot of the navigation, e.g.
 * `Vargate Desktop v0.1.0 · demo mode · tenant demo`.
 *
 * `info` is what the shell's `app_info` command returned, or `null` before it answered (or when it could not);
 * `inShell` is false when the page runs outside the desktop shell (e.g. `vite dev` in a browser).
 */
export function formatStatusLine(
  info: Pick<AppInfo, "version" | "demo" | "tenant" | "error"> | null,
  inShell = true,
): string {
  if (!inShell) return "Vargate Desktop browser preview";
  if (info === null) return "Vargate Desktop";
  const version = `v${info.version.trim().replace(/^v/, "")}`;
  const parts = [`Vargate Desktop ${version}`];
  if (info.error) parts.push("engine not running");
  else {
    if (info.demo) parts.push("demo mode");
    if (info.tenant) parts.push(`tenant ${info.tenant}`);
  }
  return parts.join(" · ");
}
