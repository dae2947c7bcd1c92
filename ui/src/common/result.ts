/**
 * Command results as the screens use them. Fallible commands answer `{status, data | error}`; a framework-level
 * failure (a malformed call, a command that does not exist) rejects with a plain string instead. Both end up as
 * one `Loaded` value, so a screen has a single place to show what went wrong, branching on the code only.
 */
import type { ErrorCode, IpcError } from "../bindings";

export type Loaded<T> = { ok: true; data: T } | { ok: false; code: ErrorCode | null; message: string };

type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

/** Awaits a command and never throws. */
export async function settle<T>(call: Promise<Answer<T>>): Promise<Loaded<T>> {
  try {
    const answer = await call;
    if (answer.status === "ok") return { ok: true, data: answer.data };
    return { ok: false, code: answer.error.code, message: answer.error.message };
  } catch (e) {
    return { ok: false, code: null, message: e instanceof Error ? e.message : String(e) };
  }
}

/** The sentence a screen shows for a failure: the engine not running is said the same way everywhere. */
export function failureText(failure: { code: ErrorCode | null; message: string }): string {
  if (failure.code === "not_started") return `The engine is not running: ${failure.message}`;
  return failure.message;
}
