# external_comms: every message that leaves the organisation is approved by a human first. Parameters
# (input.profile.params.external_comms):
#   tools  ["send_email", "post_message", "slack_post", "create_ticket", "publish_post"]
package vargate.templates.external_comms

import data.vargate.lib
import rego.v1

approvals contains {"id": "external_comms.outbound", "reason": sprintf("%s sends a message outside", [lib.tool])} if {
	lib.tool in lib.param("external_comms", "tools", ["send_email", "post_message", "slack_post", "create_ticket", "publish_post"])
}

risk contains "external_communication" if {
	lib.tool in lib.param("external_comms", "tools", ["send_email", "post_message", "slack_post", "create_ticket", "publish_post"])
}
