# financial: payments and other money movements. Parameters (input.profile.params.financial):
#   tools              ["make_payment", "transfer_funds", "refund", "create_invoice"]
#   approval_over      1000   amounts above need a human's approval
#   hard_cap           10000  amounts above are denied
#   currencies         ["USD", "EUR", "GBP"]
#   business_hours     {"start": 9, "end": 17, "days": [1, 2, 3, 4, 5]}  (UTC hours; 1 = Monday)
#   max_high_value_24h 5      high-value payments per agent per day
package vargate.templates.financial

import data.vargate.lib
import rego.v1

applies if lib.tool in lib.param("financial", "tools", ["make_payment", "transfer_funds", "refund", "create_invoice"])

amount := lib.params.amount if is_number(lib.params.amount)

amount := to_number(lib.params.amount) if {
	is_string(lib.params.amount)
	regex.match(`^[0-9]+(\.[0-9]+)?$`, lib.params.amount)
}

high_value if {
	applies
	amount > lib.param("financial", "approval_over", 1000)
}

violations contains {"id": "financial.invalid_amount", "severity": "medium", "reason": "the amount is missing, not a number or negative"} if {
	applies
	not amount
}

violations contains {"id": "financial.invalid_amount", "severity": "medium", "reason": "the amount is negative"} if {
	applies
	amount < 0
}

violations contains {"id": "financial.hard_cap", "severity": "high", "reason": sprintf("amount %v is over the hard cap %v", [amount, cap])} if {
	applies
	cap := lib.param("financial", "hard_cap", 10000)
	amount > cap
}

violations contains {"id": "financial.currency", "severity": "medium", "reason": sprintf("currency %v is not allowed", [c])} if {
	applies
	c := upper(object.get(lib.params, "currency", "missing"))
	not c in lib.param("financial", "currencies", ["USD", "EUR", "GBP"])
}

violations contains {"id": "financial.daily_high_value", "severity": "high", "reason": sprintf("%d high-value payments today", [n])} if {
	high_value
	n := lib.history_value("high_value_24h")
	n >= lib.param("financial", "max_high_value_24h", 5)
}

approvals contains {"id": "financial.over_limit", "reason": sprintf("amount %v is over %v", [amount, limit])} if {
	applies
	limit := lib.param("financial", "approval_over", 1000)
	amount > limit
	amount <= lib.param("financial", "hard_cap", 10000)
}

approvals contains {"id": "financial.outside_business_hours", "reason": "outside business hours"} if {
	applies
	hours := lib.param("financial", "business_hours", {"start": 9, "end": 17, "days": [1, 2, 3, 4, 5]})
	not within(hours)
}

within(hours) if {
	input.action.weekday in hours.days
	input.action.hour_utc >= hours.start
	input.action.hour_utc < hours.end
}

risk contains "high_value" if high_value

needs_history if high_value
