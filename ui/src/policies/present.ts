/** The Policies screen's words. */
import type { CaseView, ReplayView } from "../bindings";

/** `12 of 12 passed` or `11 of 12 passed, 1 failed`. */
export function caseSummary(cases: readonly CaseView[]): { text: string; passed: boolean } {
  const passed = cases.filter((c) => c.passed).length;
  const failed = cases.length - passed;
  const text =
    cases.length === 0
      ? "No test cases were found."
      : `${passed} of ${cases.length} passed${failed ? `, ${failed} failed` : ""}`;
  return { text, passed: cases.length > 0 && failed === 0 };
}

/** Failing cases first, then by name, so a failure is never below the fold. */
export function orderedCases(cases: readonly CaseView[]): CaseView[] {
  return [...cases].sort((a, b) => Number(a.passed) - Number(b.passed) || a.name.localeCompare(b.name));
}

/** The replay's verdict in words. */
export function replayTitle(view: Pick<ReplayView, "reproduces">): string {
  return view.reproduces ? "REPRODUCES" : "DOES NOT REPRODUCE";
}

export function replayExplanation(view: Pick<ReplayView, "reproduces" | "bundle_hash">): string {
  return view.reproduces
    ? `Evaluated again on the recorded bundle ${view.bundle_hash}, the decision comes out the same.`
    : `Evaluated again on the recorded bundle ${view.bundle_hash}, the decision differs from the recorded one.`;
}

/** An action id as typed or pasted: trimmed, surrounding quotes removed (copied from a JSON payload). */
export function cleanActionId(text: string): string {
  return text.trim().replace(/^"(.*)"$/, "$1").trim();
}
