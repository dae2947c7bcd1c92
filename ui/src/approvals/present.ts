/** The approval queue as a reviewer works through it. */
import type { ApprovalView } from "../bindings";
import { parseTime } from "../common/time";

/**
 * Pending requests first, the one expiring soonest at the top; then decided ones, most recent first. The queue
 * arrives newest first; a reviewer needs what runs out first.
 */
export function ordered<T extends Pick<ApprovalView, "status" | "expires_at" | "requested_at" | "id">>(
  queue: readonly T[],
): T[] {
  const time = (iso: string) => parseTime(iso) ?? 0;
  return [...queue].sort((a, b) => {
    const pa = a.status === "pending";
    const pb = b.status === "pending";
    if (pa !== pb) return pa ? -1 : 1;
    if (pa) return time(a.expires_at) - time(b.expires_at) || a.id.localeCompare(b.id);
    return time(b.requested_at) - time(a.requested_at) || a.id.localeCompare(b.id);
  });
}

/** The selection kept to what can still be decided: ids of requests no longer pending (or gone) drop out. */
export function keepSelectable(selected: ReadonlySet<string>, queue: readonly Pick<ApprovalView, "id" | "status">[]) {
  const pending = new Set(queue.filter((a) => a.status === "pending").map((a) => a.id));
  return new Set([...selected].filter((id) => pending.has(id)));
}

/** The selection with `id` added or removed. */
export function toggled(selected: ReadonlySet<string>, id: string, on: boolean): Set<string> {
  const next = new Set(selected);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

/** Who decided a request, through which channel, and why, as one line (null while it is pending). */
export function decidedLine(a: Pick<ApprovalView, "status" | "decided_by" | "channel" | "reason">): string | null {
  if (a.status === "pending") return null;
  const by = a.decided_by ? ` by ${a.decided_by}` : "";
  const via = a.channel ? ` via ${a.channel}` : "";
  const why = a.reason ? `: ${a.reason}` : "";
  return `${a.status[0]?.toUpperCase() ?? ""}${a.status.slice(1)}${by}${via}${why}`;
}

/** What a reviewer reads before deciding, taken from the request's (redacted) details. */
export interface Details {
  reason: string | null;
  rules: string[];
  /** One line per kind of finding, e.g. `pii: email, iban`, `behaviour score: 35`. */
  findings: string[];
  /** The call's arguments, redacted, pretty-printed. */
  params: string | null;
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

/** A finding's name: detectors name them `rule`, `kind`, `category` or `type`. */
function findingName(f: unknown): string {
  const r = asRecord(f);
  if (!r) return typeof f === "string" ? f : JSON.stringify(f);
  for (const key of ["rule", "kind", "category", "type", "name"]) {
    const v = r[key];
    if (typeof v === "string" && v !== "") return v;
  }
  return JSON.stringify(f);
}

/** Reads the details JSON; what it cannot read is left out (the raw text stays available on screen). */
export function readDetails(details: string): Details {
  let root: Record<string, unknown> | null = null;
  try {
    root = asRecord(JSON.parse(details));
  } catch {
    root = null;
  }
  if (!root) return { reason: null, rules: [], findings: [], params: null };
  const policy = asRecord(root.policy);
  const rules = [...strings(policy?.violations)];
  for (const r of strings(policy?.matched_rules)) if (!rules.includes(r)) rules.push(r);
  const findings: string[] = [];
  for (const [key, value] of Object.entries(asRecord(root.findings) ?? {})) {
    const label = key.replaceAll("_", " ");
    if (Array.isArray(value) && value.length > 0) {
      findings.push(`${label}: ${[...new Set(value.map(findingName))].join(", ")}`);
    } else if (typeof value === "number" && value > 0) {
      findings.push(`${label}: ${value}`);
    }
  }
  const params = root.params === undefined || root.params === null ? null : JSON.stringify(root.params, null, 2);
  return { reason: typeof root.reason === "string" ? root.reason : null, rules, findings, params };
}
