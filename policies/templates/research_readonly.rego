# research_readonly: an agent that reads and searches but changes nothing. Parameters
# (input.profile.params.research_readonly):
#   write_tools     ["write", "edit", "bash"]   denied
#   allowed_tools   []                          custom or MCP tools it may still call
package vargate.templates.research_readonly

import data.vargate.lib
import rego.v1

violations contains {"id": "research_readonly.write_tool", "severity": "medium", "reason": sprintf("%s can change things; this agent is read-only", [lib.tool])} if {
	lib.tool in lib.param("research_readonly", "write_tools", ["write", "edit", "bash"])
}

violations contains {"id": "research_readonly.other_tool", "severity": "medium", "reason": sprintf("%s is not a research tool", [lib.tool])} if {
	input.action.kind in {"custom", "mcp"}
	not lib.tool in lib.param("research_readonly", "allowed_tools", [])
}
