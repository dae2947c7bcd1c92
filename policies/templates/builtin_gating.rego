# builtin_gating: the managed-agent built-in tools (bash, read, write, edit, glob, grep, web_fetch, web_search)
# gated by what the detectors found in the call (input.findings.dangerous: category, rule, score 0-100).
# Parameters (input.profile.params.builtin_gating):
#   tools            ["bash", "read", "write", "edit", "glob", "grep", "web_fetch", "web_search"]
#   deny_score       70   a finding at or above this score denies
#   approval_score   30   a finding at or above this score (and below deny_score) needs approval
#   deny_categories  every category; findings of other categories can at most need approval
#   approve_all      []   tools that always need approval (e.g. ["bash"])
package vargate.templates.builtin_gating

import data.vargate.lib
import rego.v1

all_categories := [
	"credential_access", "exfiltration", "destructive", "privilege_escalation",
	"persistence", "defense_evasion", "remote_shell", "download_execute",
]

applies if lib.tool in lib.param("builtin_gating", "tools", ["bash", "read", "write", "edit", "glob", "grep", "web_fetch", "web_search"])

deny_score := lib.param("builtin_gating", "deny_score", 70)

approval_score := lib.param("builtin_gating", "approval_score", 30)

violations contains {"id": sprintf("builtin_gating.%s", [f.category]), "severity": severity(f.score), "reason": sprintf("%s: %s (score %v)", [f.category, f.rule, f.score])} if {
	applies
	some f in input.findings.dangerous
	f.score >= deny_score
	f.category in lib.param("builtin_gating", "deny_categories", all_categories)
}

approvals contains {"id": sprintf("builtin_gating.%s", [f.category]), "reason": sprintf("%s: %s (score %v)", [f.category, f.rule, f.score])} if {
	applies
	some f in input.findings.dangerous
	f.score >= approval_score
	not denied(f)
}

approvals contains {"id": "builtin_gating.always_approve", "reason": sprintf("every %s call needs approval", [lib.tool])} if {
	applies
	lib.tool in lib.param("builtin_gating", "approve_all", [])
}

denied(f) if {
	f.score >= deny_score
	f.category in lib.param("builtin_gating", "deny_categories", all_categories)
}

severity(score) := "critical" if score >= 90

severity(score) := "high" if {
	score >= 70
	score < 90
}

severity(score) := "medium" if score < 70

risk contains f.category if {
	applies
	some f in input.findings.dangerous
}
