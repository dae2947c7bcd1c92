/**
 * The shell hands its `Refresher` to the screens through Svelte's context, so that a screen asks for the
 * changes it shows while it is mounted, and stops hearing of them when the reviewer moves on.
 */
import { getContext, onMount, setContext } from "svelte";
import type { Refresher, Topic } from "./refresh";

const KEY = Symbol("vargate.refresher");

export function provideRefresher(refresher: Refresher): void {
  setContext(KEY, refresher);
}

/** Calls `fn` after changes to `topics` while the calling component is mounted (never outside the shell). */
export function onChanges(topics: readonly Topic[], fn: () => void): void {
  const refresher = getContext<Refresher | undefined>(KEY);
  onMount(() => refresher?.subscribe(topics, fn));
}

/** A clock that ticks every `ms` while the calling component is mounted. */
export function ticking(ms: number): { readonly now: number } {
  let now = $state(Date.now());
  onMount(() => {
    const timer = setInterval(() => (now = Date.now()), ms);
    return () => clearInterval(timer);
  });
  return {
    get now() {
      return now;
    },
  };
}
