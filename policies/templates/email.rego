# email: outgoing mail. Parameters (input.profile.params.email):
#   tools              ["send_email", "email_send", "gmail_send"]
#   internal_domains   ["example.com"]      other recipients are external and need approval
#   known_recipients   []                   when set, any other recipient needs approval
#   blocked_domains    []                   denied outright
#   daily_limit        50                   e-mails per agent per day
#   disclosure         "Sent by an AI agent" text external mail must carry ("" disables)
package vargate.templates.email

import data.vargate.lib
import rego.v1

applies if lib.tool in lib.param("email", "tools", ["send_email", "email_send", "gmail_send"])

recipients contains r if {
	applies
	some field in ["to", "cc", "bcc"]
	some r in lib.as_array(object.get(lib.params, field, []))
}

external contains r if {
	some r in recipients
	not lib.domain(r) in lib.param("email", "internal_domains", ["example.com"])
}

violations contains {"id": "email.no_recipient", "severity": "low", "reason": "the e-mail has no recipient"} if {
	applies
	count(recipients) == 0
}

violations contains {"id": "email.blocked_domain", "severity": "high", "reason": sprintf("recipient domain %s is blocked", [lib.domain(r)])} if {
	some r in recipients
	lib.domain(r) in lib.param("email", "blocked_domains", [])
}

violations contains {"id": "email.daily_limit", "severity": "medium", "reason": sprintf("%d e-mails sent today", [n])} if {
	applies
	n := lib.history_value("tool_actions_24h")
	n >= lib.param("email", "daily_limit", 50)
}

violations contains {"id": "email.missing_disclosure", "severity": "medium", "reason": "external e-mail without the AI disclosure text"} if {
	count(external) > 0
	text := lib.param("email", "disclosure", "Sent by an AI agent")
	text != ""
	not contains(object.get(lib.params, "body", ""), text)
}

approvals contains {"id": "email.external_recipient", "reason": sprintf("external recipient %s", [r])} if {
	some r in external
}

approvals contains {"id": "email.unknown_recipient", "reason": sprintf("recipient %s is not a known contact", [r])} if {
	known := lib.param("email", "known_recipients", [])
	count(known) > 0
	some r in recipients
	not lower(r) in known
}

risk contains "external_communication" if count(external) > 0

needs_history if applies
