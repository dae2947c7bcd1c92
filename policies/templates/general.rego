# general: rules for every tool call. Parameters (input.profile.params.general):
#   blocked_tools   [] tools never allowed
#   approval_tools  [] tools always put to a human
#   secret_kinds    finding kinds that must never travel in tool parameters
#   max_behaviour_score 80, approval_behaviour_score 50 (the session's decaying behavioural score, 0-100,
#                   from the detectors: input.findings.behaviour_score)
#   max_violations_24h 3: after that many violations the agent cools down (every call denied). Vargate runs
#                   pass 2, with the history, whenever the agent already has violations.
package vargate.templates.general

import data.vargate.lib
import rego.v1

default_secret_kinds := ["aws_access_key", "cloud_key", "api_token", "private_key", "password_in_url", "jwt"]

violations contains {"id": "general.blocked_tool", "severity": "high", "reason": sprintf("tool %s is blocked", [lib.tool])} if {
	lib.tool in lib.param("general", "blocked_tools", [])
}

violations contains {"id": "general.secret_in_params", "severity": "critical", "reason": sprintf("the parameters carry a %s", [kind])} if {
	some kind in input.findings.pii_kinds
	kind in lib.param("general", "secret_kinds", default_secret_kinds)
}

violations contains {"id": "general.cooldown", "severity": "high", "reason": sprintf("%d violations in 24 h: the agent is cooling down", [n])} if {
	n := lib.history_value("violations_24h")
	n >= lib.param("general", "max_violations_24h", 3)
}

violations contains {"id": "general.behaviour_score", "severity": "high", "reason": sprintf("behavioural score %v is over %v", [s, max])} if {
	s := object.get(input.findings, "behaviour_score", 0)
	max := lib.param("general", "max_behaviour_score", 80)
	s >= max
}

approvals contains {"id": "general.approval_tool", "reason": sprintf("tool %s needs a human's approval", [lib.tool])} if {
	lib.tool in lib.param("general", "approval_tools", [])
}

approvals contains {"id": "general.behaviour_score", "reason": sprintf("behavioural score %v is elevated", [s])} if {
	s := object.get(input.findings, "behaviour_score", 0)
	s >= lib.param("general", "approval_behaviour_score", 50)
	s < lib.param("general", "max_behaviour_score", 80)
}

risk contains "secret_in_params" if {
	some kind in input.findings.pii_kinds
	kind in lib.param("general", "secret_kinds", default_secret_kinds)
}
