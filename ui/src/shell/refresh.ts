/**
 * When to fetch again. The shell hears every `changed` event; the log grows several times a second while
 * sessions run, so events are gathered by topic and delivered at most once per quiet spell (`delay`), and at
 * least every `maxWait` while they keep coming. Only screens that are on screen subscribe, so only what is
 * visible is fetched again.
 */
import type { Changed } from "../bindings";

/** What a change touches: the log (sessions, timelines) or the approval queue. */
export type Topic = "log" | "approvals";

export function topicOf(change: Changed): Topic {
  return change.kind === "log" ? "log" : "approvals";
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

type Listener = { topics: ReadonlySet<Topic>; fn: () => void };

export class Refresher {
  private readonly listeners = new Set<Listener>();
  private readonly pending = new Set<Topic>();
  private timer: unknown = null;
  private firstAt: number | null = null;

  constructor(
    private readonly delay = 300,
    private readonly maxWait = 1000,
    private readonly timers: Timers = realTimers,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** Calls `fn` after changes to any of `topics`; returns the function that stops it. */
  subscribe(topics: readonly Topic[], fn: () => void): () => void {
    const listener = { topics: new Set(topics), fn };
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Notes a change; listeners hear of it once things are quiet for `delay`, or after `maxWait` at most. */
  notify(change: Changed): void {
    this.pending.add(topicOf(change));
    const now = this.clock();
    this.firstAt ??= now;
    if (this.timer !== null) this.timers.clear(this.timer);
    const wait = Math.max(0, Math.min(this.delay, this.firstAt + this.maxWait - now));
    this.timer = this.timers.set(() => this.flush(), wait);
  }

  /** Delivers what has gathered now (the timer's job; also useful to tests and on shutdown). */
  flush(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.firstAt = null;
    const topics = [...this.pending];
    this.pending.clear();
    for (const l of [...this.listeners]) {
      if (topics.some((t) => l.topics.has(t))) l.fn();
    }
  }

  /** Forgets what gathered and stops the timer. */
  stop(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    this.firstAt = null;
    this.pending.clear();
  }
}

/**
 * Wraps a loader so that calls never overlap: a call while one runs is remembered, and the loader runs once
 * more when the current run ends (however many calls came in meanwhile). The returned promise settles when the
 * data asked for is loaded.
 */
export function singleFlight(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again: Promise<void> | null = null;
  const start = (): Promise<void> => {
    running = load().finally(() => {
      running = null;
    });
    return running;
  };
  return () => {
    if (running === null) return start();
    again ??= running.then(
      () => {
        again = null;
        return start();
      },
      () => {
        again = null;
        return start();
      },
    );
    return again;
  };
}
