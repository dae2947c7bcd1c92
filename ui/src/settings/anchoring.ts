/**
 * The Anchoring panel's words: whether checkpoints are anchored and where, the newest anchor, how the last
 * attempts went, and what "Anchor now" did. Anchoring being off is said as a setting to make (code
 * `not_configured`), not as a fault.
 */
import type { AnchorNowView, AnchorView, AnchoringView, ErrorCode } from "../bindings";
import { failureText } from "../common/result";
import { formatTime } from "../common/time";

/** On or off, and where to. */
export function modeLine(v: AnchoringView): string {
  if (!v.rpc_url) return "Off: no EVM endpoint is set, so checkpoints are not anchored.";
  return `On: checkpoints are anchored on chain ${v.chain_id ?? "?"} through ${v.rpc_url}.`;
}

/** A transaction hash shortened for reading (the full one is in the title and the log). */
export function shortHash(hash: string): string {
  return hash.length > 18 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash;
}

/** The newest anchor in one line. */
export function anchorLine(a: AnchorView, now: number): string {
  const recorded = formatTime(a.recorded_at, now);
  return `${a.size} records, in block ${a.block_number} of chain ${a.chain_id}, recorded ${recorded}`;
}

/** How many anchors the log holds, against its size. */
export function countLine(v: AnchoringView): string {
  if (v.anchors === 0) return `Never anchored; the log holds ${v.log_size} records.`;
  const anchors = v.anchors === 1 ? "1 anchor" : `${v.anchors} anchors`;
  return `${anchors} in the log, which holds ${v.log_size} records.`;
}

/** When an anchor counts. */
export function confirmationsLine(v: AnchoringView): string | null {
  if (v.confirmations === null) return null;
  return v.confirmations === 1
    ? "An anchor counts once 1 block is on top of the one that includes it."
    : `An anchor counts once ${v.confirmations} blocks are on top of the one that includes it.`;
}

/** How the last attempt went: `failing` when the attempts fail (with the error and the next try). */
export function attemptLine(v: AnchoringView, now: number): { failing: boolean; text: string } | null {
  if (!v.last_attempt_at) return null;
  const when = formatTime(v.last_attempt_at, now);
  if (v.failures > 0 || v.last_error) {
    const times = v.failures === 1 ? "the last attempt" : `the last ${v.failures} attempts`;
    const next = v.next_attempt_at ? ` Next try at ${formatTime(v.next_attempt_at, now)}.` : "";
    const error = v.last_error ?? "no reason given";
    return { failing: true, text: `Failing: ${times} failed (last at ${when}): ${error}.${next}` };
  }
  return { failing: false, text: `The last attempt, at ${when}, succeeded.` };
}

/** What "Anchor now" did. */
export function nowLine(outcome: AnchorNowView): string {
  if (outcome.kind === "anchored") {
    const a = outcome.anchor;
    return `Anchored: the log's ${a.size} records are in transaction ${shortHash(a.tx_hash)}, block ${a.block_number}.`;
  }
  return `Nothing new to anchor: the log's checkpoint at ${outcome.size} records is anchored already.`;
}

/** Why "Anchor now" did not anchor. */
export function nowProblem(failure: { code: ErrorCode | null; message: string }): string {
  if (failure.code === "not_configured") {
    return (
      "Anchoring is not configured: set an EVM JSON-RPC endpoint and a chain id under Governance above, " +
      "then save."
    );
  }
  return failureText(failure);
}
