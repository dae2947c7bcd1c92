import type { CheckView, ErrorCode, IpcError, Outcome, Status, VerdictView } from "../bindings";

/** One row of the checks table: the badge carries the status in words, colour only repeats it. */
export interface Row {
  name: string;
  status: Status;
  badge: "PASS" | "WARN" | "FAIL";
  detail: string;
}

/** The result header: one word to read at a glance, and a sentence saying what it rests on. */
export interface Summary {
  outcome: Outcome;
  title: "VALID" | "INVALID" | "UNVERIFIED ORIGIN";
  explanation: string;
  counts: Record<Status, number>;
}

const BADGES: Record<Status, Row["badge"]> = { pass: "PASS", warn: "WARN", fail: "FAIL" };
const TITLES: Record<Outcome, Summary["title"]> = {
  valid: "VALID",
  invalid: "INVALID",
  unverified_origin: "UNVERIFIED ORIGIN",
};

/** The checks in the verifier's order (it checks the manifest before the files it vouches for). */
export function rows(verdict: VerdictView): Row[] {
  return verdict.checks.map((c: CheckView) => ({
    name: c.name,
    status: c.status,
    badge: BADGES[c.status],
    detail: c.detail,
  }));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Mirrors the closing line of `vargate verify`, so the app and the CLI say the same thing. */
export function summarize(verdict: VerdictView): Summary {
  const counts: Record<Status, number> = { pass: 0, warn: 0, fail: 0 };
  for (const c of verdict.checks) counts[c.status] += 1;
  const total = verdict.checks.length;
  const checks = plural(total, "check", "checks");
  const warned =
    counts.warn === 0 ? "" : counts.warn === 1 ? ", 1 with a warning" : `, ${counts.warn} with warnings`;
  let explanation: string;
  switch (verdict.outcome) {
    case "invalid":
      explanation =
        total === 0 ? "There was nothing to check." : `${counts.fail} of ${checks} failed.`;
      break;
    case "valid":
      explanation = `${checks} passed${warned}, against the key you pinned.`;
      break;
    case "unverified_origin":
      explanation =
        `${checks} passed${warned}, but against the key the file carries, which anyone can make. ` +
        "Paste the log's published verifier key to check who signed it.";
      break;
  }
  return { outcome: verdict.outcome, title: TITLES[verdict.outcome], explanation, counts };
}

/** What to say when the file could not be verified at all, and whether the key field is to blame. */
export function describeError(error: IpcError | string): { message: string; badKey: boolean } {
  // Framework-level failures (e.g. a malformed call) arrive as plain strings.
  if (typeof error === "string") return { message: error, badKey: false };
  const code: ErrorCode = error.code;
  return { message: error.message, badKey: code === "bad_key" };
}

/** The key field's value as the command wants it: blank means no key. */
export function keyArgument(field: string): string | null {
  const key = field.trim();
  return key === "" ? null : key;
}

/**
 * The largest file the picker sends as bytes. The page cannot see a chosen file's path, and bytes cross IPC as
 * a JSON array (about 4 bytes per byte), so very large packs are verified by dropping them: a drop gives the
 * shell a path, read up to the verifier's own limit.
 */
export const PICKER_MAX_BYTES = 64 * 1024 * 1024;

/** Why a chosen file is not sent, or null when it can be. */
export function pickerRefusal(size: number): string | null {
  if (size <= PICKER_MAX_BYTES) return null;
  const mib = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;
  return `This file has ${mib(size)}; files over ${mib(PICKER_MAX_BYTES)} are verified by dropping them on the window.`;
}
