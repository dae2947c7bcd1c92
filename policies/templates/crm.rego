# crm: customer records. Parameters (input.profile.params.crm):
#   tools              ["crm_update", "crm_query", "crm_export", "salesforce_update"]
#   export_tools       ["crm_export"]
#   restricted_fields  ["ssn", "credit_card", "salary", "password", "date_of_birth"]
#   bulk_limit         50     more records in one call need approval
#   export_limit       1000   exports of more records are denied
package vargate.templates.crm

import data.vargate.lib
import rego.v1

applies if lib.tool in lib.param("crm", "tools", ["crm_update", "crm_query", "crm_export", "salesforce_update"])

export if lib.tool in lib.param("crm", "export_tools", ["crm_export"])

fields contains lower(f) if {
	applies
	some f in lib.as_array(object.get(lib.params, "fields", []))
}

fields contains lower(f) if {
	applies
	some f, _ in object.get(lib.params, "updates", {})
}

# How many records the call touches: its limit, else the ids it names.
records := lib.params.limit if {
	applies
	is_number(lib.params.limit)
} else := count(lib.as_array(object.get(lib.params, "record_ids", []))) if applies

violations contains {"id": "crm.restricted_field", "severity": "high", "reason": sprintf("field %s is restricted", [f])} if {
	some f in fields
	f in lib.param("crm", "restricted_fields", ["ssn", "credit_card", "salary", "password", "date_of_birth"])
}

violations contains {"id": "crm.export_limit", "severity": "high", "reason": sprintf("export of %v records is over %v", [records, limit])} if {
	export
	limit := lib.param("crm", "export_limit", 1000)
	records > limit
}

approvals contains {"id": "crm.export", "reason": "data export"} if export

approvals contains {"id": "crm.bulk", "reason": sprintf("%v records in one call", [records])} if {
	records > lib.param("crm", "bulk_limit", 50)
}

risk contains "bulk_data" if records > lib.param("crm", "bulk_limit", 50)
