# data_access: database queries. Regular expressions here use explicit classes such as [ \t\r\n]: the
# engine's regex support has no Unicode classes like \s. Parameters (input.profile.params.data_access):
#   tools            ["sql_query", "query_database", "db_query"]
#   read_only        true    statements that change data are denied
#   row_limit        1000    larger (or unbounded) reads need approval
#   hard_row_limit   100000  larger reads are denied
#   regions          ["eu-west-1", "eu-central-1"]  allowed data regions (when the call names one)
#   pii_columns      ["email", "phone", "ssn", "date_of_birth", "address", "iban"]
package vargate.templates.data_access

import data.vargate.lib
import rego.v1

applies if lib.tool in lib.param("data_access", "tools", ["sql_query", "query_database", "db_query"])

query := lower(object.get(lib.params, "query", "")) if applies

writes if regex.match(`(^|[^a-z_])(insert|update|delete|drop|alter|truncate|grant|revoke|create|merge|replace)[ \t\r\n]`, query)

limit := lib.params.limit if is_number(lib.params.limit)

limit := to_number(m[1]) if {
	not is_number(lib.params.limit)
	m := regex.find_all_string_submatch_n(`limit[ \t\r\n]+([0-9]+)`, query, 1)[0]
}

violations contains {"id": "data_access.write_statement", "severity": "high", "reason": "the profile is read-only; the statement changes data"} if {
	applies
	lib.param("data_access", "read_only", true)
	writes
}

violations contains {"id": "data_access.hard_row_limit", "severity": "high", "reason": sprintf("%v rows is over %v", [limit, max])} if {
	applies
	max := lib.param("data_access", "hard_row_limit", 100000)
	limit > max
}

violations contains {"id": "data_access.region", "severity": "high", "reason": sprintf("region %s is not allowed", [r])} if {
	applies
	r := lib.params.region
	not r in lib.param("data_access", "regions", ["eu-west-1", "eu-central-1"])
}

approvals contains {"id": "data_access.row_limit", "reason": "the query has no row limit"} if {
	applies
	not writes
	not limit
}

approvals contains {"id": "data_access.row_limit", "reason": sprintf("%v rows is over %v", [limit, row_limit])} if {
	applies
	row_limit := lib.param("data_access", "row_limit", 1000)
	limit > row_limit
	limit <= lib.param("data_access", "hard_row_limit", 100000)
}

approvals contains {"id": "data_access.pii", "reason": sprintf("the query reads personal data (%s)", [c])} if {
	applies
	some c in lib.param("data_access", "pii_columns", ["email", "phone", "ssn", "date_of_birth", "address", "iban"])
	regex.match(sprintf(`(^|[^a-z_])%s([^a-z_]|$)`, [c]), query)
}

approvals contains {"id": "data_access.pii", "reason": sprintf("the parameters carry a %s", [k])} if {
	applies
	some k in input.findings.pii_kinds
}

risk contains "personal_data" if {
	applies
	some k in input.findings.pii_kinds
}
