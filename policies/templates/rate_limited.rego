# rate_limited: how often an agent may act. Parameters (input.profile.params.rate_limited):
#   max_per_10m   30    actions per agent in 10 minutes
#   max_per_day   500   actions per agent in 24 hours
package vargate.templates.rate_limited

import data.vargate.lib
import rego.v1

needs_history := true

violations contains {"id": "rate_limited.per_10m", "severity": "medium", "reason": sprintf("%v actions in 10 minutes", [n])} if {
	n := lib.history_value("actions_10m")
	n >= lib.param("rate_limited", "max_per_10m", 30)
}

violations contains {"id": "rate_limited.per_day", "severity": "medium", "reason": sprintf("%v actions in 24 hours", [n])} if {
	n := lib.history_value("actions_24h")
	n >= lib.param("rate_limited", "max_per_day", 500)
}
