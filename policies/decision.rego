# The decision document: what every enabled template found. Vargate computes the decision from it by fixed
# rules (docs/policies.md): any violation denies; otherwise any approval requirement holds the call for a
# human; otherwise the call is allowed.
package vargate.decision

import rego.v1

templates := data.vargate.templates

violations contains v if {
	some t in input.profile.templates
	some v in templates[t].violations
}

approvals contains a if {
	some t in input.profile.templates
	some a in templates[t].approvals
}

risk_indicators contains r if {
	some t in input.profile.templates
	some r in templates[t].risk
}

# A template that needs the session's history (counts, scores) before it can decide asks for pass 2.
needs_enrichment if {
	not input.history
	some t in input.profile.templates
	templates[t].needs_history
}

result := {
	"violations": violations,
	"approvals": approvals,
	"risk_indicators": risk_indicators,
	"needs_enrichment": needs_enrichment,
} if needs_enrichment

result := {
	"violations": violations,
	"approvals": approvals,
	"risk_indicators": risk_indicators,
	"needs_enrichment": false,
} if not needs_enrichment
