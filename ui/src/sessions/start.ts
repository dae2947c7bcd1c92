/**
 * Starting a session from the app: the form's checks, the names of what can be chosen, and what to say
 * afterwards. A refusal by the profile's session limits (code `refused`) is said apart from a failure: it is
 * governance working, recorded with the reviewer's name, not something that broke.
 */
import type { Choice, NewSession } from "../bindings";
import { failureText } from "../common/result";
import type { Loaded } from "../common/result";

/** The new-session form as typed. */
export interface StartForm {
  agentId: string;
  environmentId: string;
  title: string;
  message: string;
}

export const EMPTY_FORM: StartForm = { agentId: "", environmentId: "", title: "", message: "" };

/** Longest first message accepted here (the API takes more; a task description is shorter). */
export const MAX_MESSAGE = 4000;

/** What to send, or what is missing (the engine checks again). */
export function checkStart(f: StartForm): { ok: true; session: NewSession } | { ok: false; problem: string } {
  if (f.agentId.trim() === "") return { ok: false, problem: "Choose the agent the session runs." };
  if (f.environmentId.trim() === "") return { ok: false, problem: "Choose the environment the session runs in." };
  const message = f.message.trim();
  if (message.length > MAX_MESSAGE) {
    return { ok: false, problem: `Keep the first message under ${MAX_MESSAGE} characters.` };
  }
  const optional = (v: string) => (v.trim() === "" ? null : v.trim());
  return {
    ok: true,
    session: {
      agent_id: f.agentId.trim(),
      environment_id: f.environmentId.trim(),
      title: optional(f.title),
      message: optional(message),
    },
  };
}

/** An option's text: the name, with the id to tell apart agents or environments of the same name. */
export function choiceLabel(c: Choice): string {
  return c.name.trim() === "" ? c.id : `${c.name} — ${c.id}`;
}

/** What a failed start shows: a refusal, with the limit that refused it, or a failure. */
export function startProblem(failure: Extract<Loaded<unknown>, { ok: false }>): { refused: boolean; text: string } {
  if (failure.code === "refused") {
    return { refused: true, text: `Vargate refused to start this session: ${failure.message}.` };
  }
  return { refused: false, text: failureText(failure) };
}

/** The line after a start. */
export function startedLine(id: string, withMessage: boolean): string {
  return withMessage
    ? `Started session ${id} and sent its first message. It is listed as soon as it records its first event.`
    : `Started session ${id}. It waits for a first message, and is listed once it records an event.`;
}
