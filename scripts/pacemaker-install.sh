#!/bin/sh
# Installs the Debian packages Baton's Pacemaker adapter and its tests need (as root, e.g. in CI):
#   pacemaker-cli-utils        crm_mon (the adapter), crm_simulate, cibadmin, crm_resource, crm_attribute
#   pacemaker                  pacemakerd and its daemons (live tests); pulls in pacemaker-resource-agents
#                              (ocf:pacemaker:Dummy) and corosync
#   corosync                   corosync, corosync-cfgtool (live tests)
#   iproute2                   ip: network namespaces for the three-node live test (unshare and
#                              nsenter come with util-linux, which every Debian system has)
# Does nothing when they are all installed already.
set -eu
PACKAGES="pacemaker pacemaker-cli-utils pacemaker-resource-agents corosync iproute2"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "pacemaker-install: installing$missing" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
