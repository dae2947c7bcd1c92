/** The session list as a reviewer scans it. */
import type { SessionRow, SessionStatus } from "../bindings";
import type { Badge } from "../common/badges";

const STATUSES: Record<SessionStatus, Badge> = {
  running: { label: "Running", tone: "ok" },
  idle: { label: "Idle", tone: "neutral" },
  interrupted: { label: "Interrupted", tone: "severe" },
  terminated: { label: "Ended", tone: "neutral" },
  active: { label: "Active", tone: "neutral" },
};

export function statusBadge(status: SessionStatus): Badge {
  return STATUSES[status];
}

/** The counts, in the order a reviewer asks: what was decided, what only watched, what was stopped or held. */
export const COUNT_NAMES = ["governed", "observed", "denied", "held"] as const;

/** A session's counts in the order of `COUNT_NAMES`; denials and holds are flagged when there are any. */
export function counts(row: SessionRow): { name: (typeof COUNT_NAMES)[number]; value: number; alarm: boolean }[] {
  return [
    { name: "governed", value: row.governed, alarm: false },
    { name: "observed", value: row.observed, alarm: false },
    { name: "denied", value: row.denied, alarm: row.denied > 0 },
    { name: "held", value: row.held, alarm: row.held > 0 },
  ];
}

/** The line above the list, e.g. `12 sessions · 2 running · 1 high risk`. */
export function overview(rows: readonly SessionRow[]): string {
  const n = rows.length;
  const parts = [n === 1 ? "1 session" : `${n} sessions`];
  const running = rows.filter((r) => r.status === "running").length;
  const high = rows.filter((r) => r.risk === "high").length;
  const elevated = rows.filter((r) => r.risk === "elevated").length;
  if (running) parts.push(`${running} running`);
  if (high) parts.push(`${high} high risk`);
  if (elevated) parts.push(`${elevated} elevated risk`);
  return parts.join(" · ");
}

/** Whether the kill switch is worth offering: an interrupted or ended session has nothing left to stop. */
export function canInterrupt(row: Pick<SessionRow, "status">): boolean {
  return row.status !== "terminated";
}
