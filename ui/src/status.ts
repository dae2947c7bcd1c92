/** A part of the app and whether it is usable yet. */
export interface Component {
  name: string;
  ready: boolean;
}

/** What the placeholder page lists until the governance screens exist. */
export const COMPONENTS: readonly Component[] = [
  { name: "Audit log", ready: true },
  { name: "Verifier", ready: true },
  { name: "Governance screens", ready: false },
];

/**
 * The one-line status shown at the foot of the page, e.g.
 * `Vargate Desktop v0.1.0 · 2 of 3 components ready`.
 *
 * `version` is what the shell's `app_version` command returned, or `null` when the page runs outside
 * the desktop shell (e.g. `vite dev` in a browser).
 */
export function formatStatusLine(version: string | null, components: readonly Component[]): string {
  const shown = version === null ? "browser preview" : `v${version.trim().replace(/^v/, "")}`;
  const ready = components.filter((c) => c.ready).length;
  const noun = components.length === 1 ? "component" : "components";
  return `Vargate Desktop ${shown} · ${ready} of ${components.length} ${noun} ready`;
}
