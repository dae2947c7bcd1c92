/**
 * The timeline's filters. A reviewer thinks in kinds of things (decisions, tool calls, messages), the log in
 * record types; each choice here names the record types it means. Decisions are the log's own words.
 */

export interface Choice {
  id: string;
  label: string;
  /** The record types or decisions passed to `session_timeline`; empty means no filter. */
  values: readonly string[];
}

export const TYPE_CHOICES: readonly Choice[] = [
  { id: "all", label: "All types", values: [] },
  { id: "decisions", label: "Decisions", values: ["vargate.decision"] },
  { id: "tools", label: "Tool calls", values: ["agent.tool_use", "agent.custom_tool_use", "agent.mcp_tool_use"] },
  {
    id: "results",
    label: "Tool results",
    values: ["agent.tool_result", "agent.mcp_tool_result", "user.tool_result", "user.custom_tool_result"],
  },
  { id: "messages", label: "Messages", values: ["agent.message", "user.message"] },
  { id: "interrupts", label: "Interrupts", values: ["vargate.interrupt", "user.interrupt"] },
  {
    id: "status",
    label: "Session status",
    values: [
      "session.status_running",
      "session.status_idle",
      "session.status_terminated",
      "session.deleted",
    ],
  },
  { id: "errors", label: "Errors", values: ["session.error", "vargate.delivery_failed", "vargate.garbled_frame"] },
];

export const DECISION_CHOICES: readonly Choice[] = [
  { id: "all", label: "All decisions", values: [] },
  { id: "allow", label: "Allowed", values: ["allow"] },
  { id: "deny", label: "Denied", values: ["deny"] },
  { id: "require_approval", label: "Held for approval", values: ["require_approval"] },
  { id: "observed", label: "Observed", values: ["observed"] },
  { id: "interrupt", label: "Interrupts", values: ["interrupt"] },
];

export interface Filter {
  type: string;
  decision: string;
}

export const NO_FILTER: Filter = { type: "all", decision: "all" };

function valuesOf(choices: readonly Choice[], id: string): string[] {
  return [...(choices.find((c) => c.id === id)?.values ?? [])];
}

/** The `types` and `decisions` arguments of `session_timeline` for a filter. */
export function filterArgs(filter: Filter): { types: string[]; decisions: string[] } {
  return { types: valuesOf(TYPE_CHOICES, filter.type), decisions: valuesOf(DECISION_CHOICES, filter.decision) };
}

export function isFiltered(filter: Filter): boolean {
  const { types, decisions } = filterArgs(filter);
  return types.length > 0 || decisions.length > 0;
}
