# Helpers shared by the templates. A template reads its parameters from the governance profile
# (input.profile.params.<template>.<key>) with a documented default.
package vargate.lib

import rego.v1

param(template, key, default_value) := object.get(object.get(object.get(input.profile, "params", {}), template, {}), key, default_value)

# The tool being called, and its parameters (already redacted: PII replaced by [REDACTED:<kind>]).
tool := input.action.tool

params := object.get(input.action, "params", {})

# True when the profile enables the template.
enabled(template) if template in input.profile.templates

# A parameter's value as an array (a single string becomes a one-element array).
as_array(x) := x if is_array(x)

as_array(x) := [x] if is_string(x)

as_array(x) := [] if {
	not is_array(x)
	not is_string(x)
}

# The domain of an e-mail address, lowercased.
domain(address) := lower(parts[count(parts) - 1]) if parts := split(trim_space(address), "@")

history_value(key) := object.get(object.get(input, "history", {}), key, 0)

has_history if input.history
