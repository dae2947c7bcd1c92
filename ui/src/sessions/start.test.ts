import { describe, expect, it } from "vitest";
import { EMPTY_FORM, MAX_MESSAGE, checkStart, choiceLabel, startProblem, startedLine } from "./start";

describe("new session form", () => {
  it("needs an agent and an environment", () => {
    expect(checkStart(EMPTY_FORM)).toEqual({ ok: false, problem: "Choose the agent the session runs." });
    expect(checkStart({ ...EMPTY_FORM, agentId: "agent_1" })).toEqual({
      ok: false,
      problem: "Choose the environment the session runs in.",
    });
  });

  it("sends blank optional fields as absent and trims the rest", () => {
    expect(checkStart({ agentId: " agent_1 ", environmentId: "env_1", title: "  ", message: " Go. " })).toEqual({
      ok: true,
      session: { agent_id: "agent_1", environment_id: "env_1", title: null, message: "Go." },
    });
    expect(checkStart({ agentId: "a", environmentId: "e", title: "Nightly", message: "" })).toEqual({
      ok: true,
      session: { agent_id: "a", environment_id: "e", title: "Nightly", message: null },
    });
  });

  it("refuses a first message that is a document", () => {
    const long = { agentId: "a", environmentId: "e", title: "", message: "x".repeat(MAX_MESSAGE + 1) };
    expect(checkStart(long).ok).toBe(false);
  });

  it("names choices so that two of the same name are told apart", () => {
    expect(choiceLabel({ id: "agent_1", name: "demo-research" })).toBe("demo-research — agent_1");
    expect(choiceLabel({ id: "agent_2", name: " " })).toBe("agent_2");
  });
});

describe("after a start", () => {
  it("says a refusal apart from a failure, branching on the code", () => {
    const refused = { ok: false as const, code: "refused" as const, message: "the profile allows 2" };
    expect(startProblem(refused)).toEqual({
      refused: true,
      text: "Vargate refused to start this session: the profile allows 2.",
    });
    const failed = { ok: false as const, code: "failed" as const, message: "managed-agents API: 404" };
    expect(startProblem(failed)).toEqual({ refused: false, text: "managed-agents API: 404" });
    const stopped = { ok: false as const, code: "not_started" as const, message: "no keychain" };
    expect(startProblem(stopped).text).toBe("The engine is not running: no keychain");
  });

  it("says when the session will show in the list", () => {
    expect(startedLine("sesn_1", true)).toContain("sent its first message");
    expect(startedLine("sesn_1", false)).toContain("waits for a first message");
  });
});
