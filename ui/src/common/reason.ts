/**
 * Reasons a reviewer gives for an interrupt or an approval decision. They go into the audit log next to the
 * reviewer's name, so a blank one is refused here before it reaches the engine.
 */

/** Longest reason accepted: a sentence or two, not a document. */
export const MAX_REASON = 500;

/** The reason as it is recorded (trimmed), or why it cannot be. */
export function checkReason(text: string): { ok: true; reason: string } | { ok: false; problem: string } {
  const reason = text.trim();
  if (reason === "") return { ok: false, problem: "A reason is required: it is recorded with your name." };
  if (reason.length > MAX_REASON) return { ok: false, problem: `Keep the reason under ${MAX_REASON} characters.` };
  return { ok: true, reason };
}
