#!/usr/bin/env bash
# Pacemaker alert agent for Baton. Pacemaker runs it on each node for every alert event, with the
# event in CRM_alert_* environment variables; it turns the event into one JSON object and pipes it
# to the command in BATON_ALERT_COMMAND (run with sh -c; set it as an instance attribute of the
# alert, which Pacemaker passes as an environment variable). Register it, e.g.:
#   cibadmin --create --scope alerts --xml-text '<alert id="baton" path="/path/to/baton-pacemaker-alert.sh">
#     <instance_attributes id="baton-ia"><nvpair id="baton-cmd" name="BATON_ALERT_COMMAND"
#     value="baton cluster-event"/></instance_attributes></alert>'
# JSON fields (strings, present when Pacemaker set them): kind (node, resource, fencing, attribute),
# node, nodeid, rsc, task, desc, rc, target_rc, status, interval, exec_time, attribute_name,
# attribute_value, recipient, version, timestamp, timestamp_epoch, timestamp_usec, node_sequence.
# Exit status: the command's, or 2 when BATON_ALERT_COMMAND is unset (Pacemaker logs it).
set -uo pipefail

if [ -z "${BATON_ALERT_COMMAND:-}" ]; then
  echo "baton-pacemaker-alert: BATON_ALERT_COMMAND is not set; set it as an instance attribute of the alert" >&2
  exit 2
fi

# json_string VALUE: VALUE as a JSON string literal.
json_string() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  s="$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')"
  printf '"%s"' "$s"
}

fields=(kind node nodeid rsc task desc rc target_rc status interval exec_time attribute_name
  attribute_value recipient version timestamp timestamp_epoch timestamp_usec node_sequence)
json='{"source":"pacemaker"'
for f in "${fields[@]}"; do
  var="CRM_alert_$f"
  if [ -n "${!var+set}" ]; then
    json+=",\"$f\":$(json_string "${!var}")"
  fi
done
json+='}'

printf '%s\n' "$json" | sh -c "$BATON_ALERT_COMMAND"
