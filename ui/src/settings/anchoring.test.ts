import { describe, expect, it } from "vitest";
import type { AnchorView, AnchoringView } from "../bindings";
import {
  anchorLine,
  attemptLine,
  confirmationsLine,
  countLine,
  modeLine,
  nowLine,
  nowProblem,
  shortHash,
} from "./anchoring";

const NOW = Date.parse("2026-11-25T12:00:00Z");

function view(over: Partial<AnchoringView> = {}): AnchoringView {
  return {
    rpc_url: "http://127.0.0.1:8545",
    chain_id: 31337,
    confirmations: 2,
    address: "0x00000000000000000000000000000000000000aa",
    anchors: 0,
    log_size: 40,
    last: null,
    last_attempt_at: null,
    attempt_rpc_url: null,
    failures: 0,
    last_error: null,
    next_attempt_at: null,
    ...over,
  };
}

const ANCHOR: AnchorView = {
  size: 41,
  chain_id: "31337",
  tx_hash: "0x" + "ab".repeat(32),
  block_number: "7",
  from: "0x00000000000000000000000000000000000000aa",
  recorded_at: "2026-11-25T11:59:00Z",
};

describe("anchoring status", () => {
  it("says whether anchoring is on, and where", () => {
    expect(modeLine(view({ rpc_url: null, chain_id: null }))).toBe(
      "Off: no EVM endpoint is set, so checkpoints are not anchored.",
    );
    expect(modeLine(view())).toBe("On: checkpoints are anchored on chain 31337 through http://127.0.0.1:8545.");
  });

  it("counts anchors against the log", () => {
    expect(countLine(view())).toBe("Never anchored; the log holds 40 records.");
    expect(countLine(view({ anchors: 1, log_size: 42 }))).toBe("1 anchor in the log, which holds 42 records.");
    expect(countLine(view({ anchors: 3 }))).toBe("3 anchors in the log, which holds 40 records.");
  });

  it("describes the newest anchor and when one counts", () => {
    expect(anchorLine(ANCHOR, NOW)).toMatch(/^41 records, in block 7 of chain 31337, recorded \d\d:\d\d:\d\d$/);
    expect(confirmationsLine(view())).toBe("An anchor counts once 2 blocks are on top of the one that includes it.");
    expect(confirmationsLine(view({ confirmations: 1 }))).toContain("once 1 block is");
    expect(confirmationsLine(view({ confirmations: null }))).toBeNull();
  });

  it("shortens hashes for reading only", () => {
    expect(shortHash(ANCHOR.tx_hash)).toBe("0xabababab…ababab");
    expect(shortHash("0x12")).toBe("0x12");
  });

  it("says how the last attempts went, loudly when they fail", () => {
    expect(attemptLine(view(), NOW)).toBeNull();
    const ok = attemptLine(view({ last_attempt_at: "2026-11-25T11:59:00Z" }), NOW);
    expect(ok?.failing).toBe(false);
    const failing = attemptLine(
      view({
        last_attempt_at: "2026-11-25T11:59:00Z",
        failures: 3,
        last_error: "cannot reach the EVM node",
        next_attempt_at: "2026-11-25T12:00:04Z",
      }),
      NOW,
    );
    expect(failing?.failing).toBe(true);
    expect(failing?.text).toMatch(
      /^Failing: the last 3 attempts failed \(last at .+\): cannot reach the EVM node\. Next try at /,
    );
    const once = attemptLine(view({ last_attempt_at: "2026-11-25T11:59:00Z", failures: 1, last_error: "x" }), NOW);
    expect(once?.text).toContain("the last attempt failed");
  });
});

describe("anchor now", () => {
  it("says what was anchored, or that nothing was new", () => {
    expect(nowLine({ kind: "anchored", anchor: ANCHOR })).toBe(
      "Anchored: the log's 41 records are in transaction 0xabababab…ababab, block 7.",
    );
    expect(nowLine({ kind: "already_anchored", size: 41 })).toBe(
      "Nothing new to anchor: the log's checkpoint at 41 records is anchored already.",
    );
  });

  it("says anchoring is off as a setting to make, branching on the code", () => {
    expect(nowProblem({ code: "not_configured", message: "anchoring is not configured: …" })).toBe(
      "Anchoring is not configured: set an EVM JSON-RPC endpoint and a chain id under Governance above, then save.",
    );
    expect(nowProblem({ code: "failed", message: "anchoring: insufficient funds" })).toBe(
      "anchoring: insufficient funds",
    );
  });
});
