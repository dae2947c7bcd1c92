/**
 * A session's timeline, a page at a time. A session can hold 100 000 records; the screen holds the pages it was
 * asked for and never the whole session. Pages are keyed by the session's sequence numbers (`seq`), so records
 * that arrive while a reviewer reads are appended after the last one shown, never in the middle.
 */
import type { TimelineRow } from "../bindings";

/** Records asked for per page. */
export const PAGE_SIZE = 200;

export interface Pages {
  rows: TimelineRow[];
  /** `after_seq` for "Load more"; null when the last page reached the end of the session (so far). */
  next: number | null;
  /** Whether a page was loaded at all (an empty first page is still loaded). */
  loaded: boolean;
}

export function emptyPages(): Pages {
  return { rows: [], next: null, loaded: false };
}

/** A page as the command answers it. */
export interface Page {
  rows: TimelineRow[];
  next_after?: number | null;
}

/** The pages with `page` appended; rows already shown (same or earlier `seq`) are skipped. */
export function appendPage(pages: Pages, page: Page): Pages {
  const last = pages.rows.at(-1)?.seq ?? -1;
  const fresh = page.rows.filter((r) => r.seq > last);
  return { rows: fresh.length ? [...pages.rows, ...fresh] : pages.rows, next: page.next_after ?? null, loaded: true };
}

/** Whether "Load more" has something to load. */
export function hasMore(pages: Pages): boolean {
  return pages.next !== null;
}

/**
 * Where to look for records that arrived since, when the end was shown: after the last row (null: from the
 * start). Undefined while there are further pages: new records wait behind them, and "Load more" reaches them.
 */
export function followCursor(pages: Pages): number | null | undefined {
  if (!pages.loaded || hasMore(pages)) return undefined;
  return pages.rows.at(-1)?.seq ?? null;
}

/** The line above the list: how many records are shown, of how many the session has when it is known. */
export function shownLine(pages: Pages, total: number | null, filtered: boolean): string {
  const n = pages.rows.length;
  const records = n === 1 ? "record" : "records";
  if (filtered) return `${n} matching ${records}${hasMore(pages) ? " so far" : ""}`;
  if (total !== null && total > n) return `${n} of ${total} records`;
  return `${n} ${records}`;
}
