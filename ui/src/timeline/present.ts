/** How one timeline record reads. */
import type { TimelineRow } from "../bindings";

/** The short name of a record type: `vargate.decision` → `decision`, `agent.tool_use` → `tool use`. */
export function kindLabel(kind: string): string {
  const known: Record<string, string> = {
    "vargate.decision": "decision",
    "vargate.interrupt": "interrupt",
    "vargate.delivery_failed": "delivery failed",
    "vargate.garbled_frame": "garbled frame",
  };
  if (known[kind]) return known[kind];
  const [, rest] = kind.split(".", 2);
  return (rest ?? kind).replace(/^status_/, "status: ").replaceAll("_", " ");
}

/** Longest excerpt of a payload's text shown on a row (the whole payload opens below it). */
export const EXCERPT_CHARS = 160;

function excerpt(payload: string): string {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return "";
  }
  if (!value || typeof value !== "object") return "";
  const p = value as Record<string, unknown>;
  let text = "";
  if (Array.isArray(p.content)) {
    text = p.content
      .map((c: unknown) => (c && typeof c === "object" ? (c as { text?: unknown }).text : undefined))
      .filter((t): t is string => typeof t === "string" && t !== "")
      .join(" ");
  } else if (typeof p.content === "string") text = p.content;
  else if (typeof p.text === "string") text = p.text;
  text = text.replace(/\s+/g, " ").trim();
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

/**
 * The row's one line: the engine's summary, or else the start of the text the record carries (a message's
 * words, as stored: redacted), or nothing (the record's type is shown beside it anyway).
 */
export function summaryOf(row: Pick<TimelineRow, "summary" | "payload">): string {
  return row.summary.trim() || excerpt(row.payload);
}

/**
 * The action id of a decision record (what the Policies screen replays), or null. Decision payloads carry it as
 * `action_id`; other records have none.
 */
export function actionIdOf(row: Pick<TimelineRow, "kind" | "payload">): string | null {
  if (row.kind !== "vargate.decision") return null;
  try {
    const payload: unknown = JSON.parse(row.payload);
    if (payload && typeof payload === "object" && "action_id" in payload) {
      const id = (payload as { action_id: unknown }).action_id;
      return typeof id === "string" && id !== "" ? id : null;
    }
  } catch {
    // A payload that is not JSON has no action to replay.
  }
  return null;
}

/** The PII kinds a record's sealed original holds (`vargate_sealed.pii[].kind`); empty when nothing is sealed. */
export function sealedPii(row: TimelineRow): string[] {
  let value: unknown;
  try {
    value = JSON.parse(row.payload);
  } catch {
    return [];
  }
  const sealed = value && typeof value === "object" ? (value as Record<string, unknown>).vargate_sealed : undefined;
  if (!sealed || typeof sealed !== "object" || !("sealed" in sealed)) return [];
  const pii = (sealed as { pii?: unknown }).pii;
  const types = Array.isArray(pii)
    ? pii.map((p: unknown) => (p && typeof p === "object" ? (p as { kind?: unknown }).kind : undefined))
    : [];
  const named = types.filter((t): t is string => typeof t === "string");
  return named.length > 0 ? [...new Set(named)] : ["personal data"];
}
