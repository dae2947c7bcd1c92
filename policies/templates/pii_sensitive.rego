# pii_sensitive: personal data in tool parameters. The detectors' findings name the kinds found
# (input.findings.pii_kinds); the parameters the policy sees are already redacted. Parameters
# (input.profile.params.pii_sensitive):
#   approval_kinds   ["email", "phone", "ip_address"]            need a human's approval
#   deny_kinds       ["payment_card", "iban", "us_ssn", "uk_nino"] denied
package vargate.templates.pii_sensitive

import data.vargate.lib
import rego.v1

violations contains {"id": "pii_sensitive.identity_data", "severity": "high", "reason": sprintf("the parameters carry an identity or payment number (%s)", [k])} if {
	some k in input.findings.pii_kinds
	k in lib.param("pii_sensitive", "deny_kinds", ["payment_card", "iban", "us_ssn", "uk_nino"])
}

approvals contains {"id": "pii_sensitive.personal_data", "reason": sprintf("the parameters carry personal data (%s)", [k])} if {
	some k in input.findings.pii_kinds
	k in lib.param("pii_sensitive", "approval_kinds", ["email", "phone", "ip_address"])
}

risk contains "personal_data" if count(input.findings.pii_kinds) > 0
