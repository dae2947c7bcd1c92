# budget: a token budget per session, from the session's usage events (history.tokens_used). Parameters
# (input.profile.params.budget):
#   token_cap        1000000   at or over it, every call is denied
#   approval_share   0.8       at or over this share of the cap, calls need approval
package vargate.templates.budget

import data.vargate.lib
import rego.v1

needs_history := true

cap := lib.param("budget", "token_cap", 1000000)

used := lib.history_value("tokens_used")

violations contains {"id": "budget.exhausted", "severity": "medium", "reason": sprintf("%v of %v tokens used", [used, cap])} if {
	lib.has_history
	used >= cap
}

approvals contains {"id": "budget.near_cap", "reason": sprintf("%v of %v tokens used", [used, cap])} if {
	lib.has_history
	used >= cap * lib.param("budget", "approval_share", 0.8)
	used < cap
}
