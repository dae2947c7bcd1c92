/** The app's screens, in the order the navigation lists them, and what each needs to work. */

export type Screen = "sessions" | "approvals" | "policies" | "export" | "verify" | "settings";

export interface ScreenInfo {
  id: Screen;
  label: string;
  /** Needs the engine: without it (it did not start) the screen says why instead. */
  engine: boolean;
}

export const SCREENS: readonly ScreenInfo[] = [
  { id: "sessions", label: "Sessions", engine: true },
  { id: "approvals", label: "Approvals", engine: true },
  { id: "policies", label: "Policies", engine: true },
  { id: "export", label: "Export", engine: true },
  { id: "verify", label: "Verify", engine: false },
  { id: "settings", label: "Settings", engine: false },
];

/** Where the app opens: the sessions, or the verifier when the engine did not start (it works without it). */
export function firstScreen(engineError: string | null | undefined): Screen {
  return engineError ? "verify" : "sessions";
}

/** The badge on the Approvals entry: the count, or nothing when none wait; 99+ beyond 99. */
export function pendingBadge(count: number): string | null {
  if (count <= 0) return null;
  return count > 99 ? "99+" : String(count);
}

/** What a screen reader says for the badge, after the entry's label. */
export function pendingWords(count: number): string {
  return count === 1 ? "1 pending" : `${count} pending`;
}
