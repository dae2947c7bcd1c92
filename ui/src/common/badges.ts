/**
 * Badges: every status is spelled out in words, and the class (its colour) only repeats it, so nothing depends
 * on telling colours apart.
 */

/** The classes style.css gives a colour: good, bad, waiting, neutral, severe. */
export type Tone = "ok" | "bad" | "wait" | "neutral" | "severe";

export interface Badge {
  label: string;
  tone: Tone;
}

const DECISIONS: Record<string, Badge> = {
  allow: { label: "ALLOW", tone: "ok" },
  deny: { label: "DENY", tone: "bad" },
  require_approval: { label: "HELD", tone: "wait" },
  observed: { label: "OBSERVED", tone: "neutral" },
  interrupt: { label: "INTERRUPT", tone: "severe" },
};

/** A record's decision: allow, deny, require_approval (held for a human), observed or interrupt. */
export function decisionBadge(decision: string): Badge {
  return DECISIONS[decision] ?? { label: decision.toUpperCase() || "—", tone: "neutral" };
}

const RISKS: Record<string, Badge> = {
  high: { label: "HIGH", tone: "severe" },
  elevated: { label: "ELEVATED", tone: "wait" },
  low: { label: "LOW", tone: "ok" },
};

/** A session's risk: high (interrupted), elevated (denials or holds) or low. */
export function riskBadge(risk: string): Badge {
  return RISKS[risk] ?? { label: risk.toUpperCase() || "—", tone: "neutral" };
}

const APPROVALS: Record<string, Badge> = {
  pending: { label: "PENDING", tone: "wait" },
  approved: { label: "APPROVED", tone: "ok" },
  denied: { label: "DENIED", tone: "bad" },
  expired: { label: "EXPIRED", tone: "neutral" },
};

/** An approval request's status: pending, approved, denied or expired (denied by the timer). */
export function approvalBadge(status: string): Badge {
  return APPROVALS[status] ?? { label: status.toUpperCase() || "—", tone: "neutral" };
}
