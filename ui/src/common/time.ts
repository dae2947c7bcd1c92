/**
 * Times as a reviewer reads them. The engine records RFC 3339 times in UTC; the screens show them in local time
 * and, for what is waiting, as time left. `now` is always passed in (milliseconds since the epoch), so the
 * functions are pure and the screens decide how often the clock ticks.
 */

/** Milliseconds since the epoch, or null when `iso` is not a time. */
export function parseTime(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A record's time, local: `14:03:27` when it is from the same local day as `now`, otherwise
 * `2026-11-25 14:03`. An unreadable time is shown as it is.
 */
export function formatTime(iso: string, now: number): string {
  const ms = parseTime(iso);
  if (ms === null) return iso;
  const t = new Date(ms);
  const today = new Date(now);
  const sameDay =
    t.getFullYear() === today.getFullYear() && t.getMonth() === today.getMonth() && t.getDate() === today.getDate();
  const hm = `${pad(t.getHours())}:${pad(t.getMinutes())}`;
  if (sameDay) return `${hm}:${pad(t.getSeconds())}`;
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${hm}`;
}

/** How long ago `iso` was: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(iso: string, now: number): string {
  const ms = parseTime(iso);
  if (ms === null) return iso;
  const s = Math.floor((now - ms) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** What is left before a held call expires (and is denied). */
export interface TimeLeft {
  /** Whole seconds left, never negative. */
  seconds: number;
  /** `1:45 left`, `0:09 left` or `expired`. */
  text: string;
  /** Under 30 seconds: the screen says so more loudly. */
  urgent: boolean;
  expired: boolean;
}

/** Seconds under which a countdown is urgent. */
export const URGENT_SECONDS = 30;

/** The countdown to `expiresAt`. An unreadable deadline counts as passed, as the engine treats it (fail closed). */
export function timeLeft(expiresAt: string, now: number): TimeLeft {
  const ms = parseTime(expiresAt);
  const seconds = ms === null ? 0 : Math.max(0, Math.ceil((ms - now) / 1000));
  if (seconds === 0) return { seconds, text: "expired", urgent: true, expired: true };
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const clock = h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
  return { seconds, text: `${clock} left`, urgent: seconds < URGENT_SECONDS, expired: false };
}
