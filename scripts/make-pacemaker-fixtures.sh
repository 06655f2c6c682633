#!/usr/bin/env bash
# Regenerates test/fixtures/pacemaker from Pacemaker's own tools, offline (CIB_file, crm_simulate):
# a three-node CIB (node-1..3) with two apps as resource groups of ocf:pacemaker:Dummy resources
# (db: db-ip + db-server, files: files-export), then one CIB per scenario and crm_mon's XML for each.
#   <scenario>.cib.xml       the CIB after crm_simulate ran the scenario (input to crm_mon)
#   <scenario>.crm_mon.xml   `crm_mon --output-as=xml --inactive` on that CIB, as recorded
# Scenarios: all-online, node-2-offline, files-stopped, node-1-standby, db-failed, node-2-lost,
# node-2-unclean, pg-promoted (a promotable clone), web-bundle; plus two recorded error answers.
# Needs: apt-get install -y pacemaker pacemaker-cli-utils
set -euo pipefail

out="${1:-$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/pacemaker}"
for tool in cibadmin crm_simulate crm_mon crm_resource crm_attribute; do
  command -v "$tool" >/dev/null || {
    echo "make-pacemaker-fixtures: $tool not found; install it with: apt-get install -y pacemaker pacemaker-cli-utils" >&2
    exit 1
  }
done
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# simulate FROM TO ARGS...: runs crm_simulate on FROM's CIB (with quorum), saves the result as TO.
simulate() {
  local from="$1" to="$2"
  shift 2
  crm_simulate --xml-file="$from" --simulate --quorum=true --quiet --save-output="$out/$to.cib.xml" "$@" >/dev/null
}

# record NAME: writes crm_mon's XML view of NAME.cib.xml.
record() {
  CIB_file="$out/$1.cib.xml" crm_mon --output-as=xml --inactive >"$out/$1.crm_mon.xml"
  echo "recorded $out/$1.crm_mon.xml"
}

# The configuration: nodes, stonith off (no fencing devices here), two groups.
base="$out/base.cib.xml"
cibadmin --empty >"$base"
export CIB_file="$base"
for n in 1 2 3; do
  cibadmin --create --scope nodes --xml-text "<node id=\"$n\" uname=\"node-$n\"/>"
done
crm_attribute --name stonith-enabled --update false
cibadmin --create --scope resources --xml-text '
  <group id="db">
    <primitive id="db-ip" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="db-ip-monitor-10s" name="monitor" interval="10s"/></operations>
    </primitive>
    <primitive id="db-server" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="db-server-monitor-10s" name="monitor" interval="10s"/></operations>
    </primitive>
  </group>'
cibadmin --create --scope resources --xml-text '
  <group id="files">
    <primitive id="files-export" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="files-export-monitor-10s" name="monitor" interval="10s"/></operations>
    </primitive>
  </group>'
unset CIB_file

# all-online: every node up; the cluster places db and files.
simulate "$base" all-online --node-up=node-1 --node-up=node-2 --node-up=node-3
record all-online

# node-2-offline: node-2 goes down cleanly; files (on node-2) moves to another node.
simulate "$out/all-online.cib.xml" node-2-offline --node-down=node-2
record node-2-offline

# files-stopped: an operator stops the files group (target-role=Stopped).
cp "$out/all-online.cib.xml" "$work/stop.xml"
CIB_file="$work/stop.xml" crm_resource --resource files --meta --set-parameter target-role --parameter-value Stopped
simulate "$work/stop.xml" files-stopped
record files-stopped

# node-1-standby: node-1 is put in standby; db (on node-1) moves away.
cp "$out/all-online.cib.xml" "$work/standby.xml"
CIB_file="$work/standby.xml" crm_attribute --node node-1 --name standby --update on --lifetime forever
simulate "$work/standby.xml" node-1-standby
record node-1-standby

# db-failed: db-server's monitor fails on node-1 and its stop fails too; without fencing the
# resource is left failed and blocked where it was.
simulate "$out/all-online.cib.xml" db-failed \
  --op-inject=db-server_monitor_10000@node-1=1 --op-fail=db-server_stop_0@node-1=1
record db-failed

# node-2-lost: node-2 has just failed (fencing off, so it counts as down); the cluster has not yet
# acted (--run, not --simulate), so files is stopped, not yet started elsewhere.
crm_simulate --xml-file="$out/all-online.cib.xml" --run --quorum=true --quiet --node-fail=node-2 \
  --save-output="$out/node-2-lost.cib.xml" >/dev/null
record node-2-lost

# node-2-unclean: the same failure with fencing on: node-2 is unclean until fenced, and files is
# still reported on it.
cp "$out/all-online.cib.xml" "$work/fencing.xml"
CIB_file="$work/fencing.xml" crm_attribute --name stonith-enabled --update true
crm_simulate --xml-file="$work/fencing.xml" --run --quorum=true --quiet --node-fail=node-2 \
  --save-output="$out/node-2-unclean.cib.xml" >/dev/null
record node-2-unclean

# pg-promoted: a promotable clone (ocf:pacemaker:Stateful) on every node, promoted on node-3.
cp "$out/all-online.cib.xml" "$work/pg.xml"
CIB_file="$work/pg.xml" cibadmin --create --scope resources --xml-text '
  <clone id="pg">
    <meta_attributes id="pg-meta">
      <nvpair id="pg-promotable" name="promotable" value="true"/>
      <nvpair id="pg-promoted-max" name="promoted-max" value="1"/>
    </meta_attributes>
    <primitive id="pg-server" class="ocf" provider="pacemaker" type="Stateful">
      <operations>
        <op id="pg-server-monitor-promoted" name="monitor" interval="10s" role="Promoted"/>
        <op id="pg-server-monitor-unpromoted" name="monitor" interval="11s" role="Unpromoted"/>
      </operations>
    </primitive>
  </clone>'
CIB_file="$work/pg.xml" cibadmin --create --scope constraints --xml-text \
  '<rsc_location id="pg-promoted-on-node-3" rsc="pg" role="Promoted" node="node-3" score="100"/>'
simulate "$work/pg.xml" pg-promoted
record pg-promoted

# web-bundle: a podman bundle (one replica) holding a Dummy; crm_mon shows it on guest node web-0,
# whose container runs on a cluster node. (Simulated: no podman needed.)
cp "$out/all-online.cib.xml" "$work/bundle.xml"
CIB_file="$work/bundle.xml" cibadmin --create --scope resources --xml-text '
  <bundle id="web">
    <podman image="localhost/web" replicas="1"/>
    <network control-port="3121"/>
    <primitive id="web-server" class="ocf" provider="pacemaker" type="Dummy"/>
  </bundle>'
simulate "$work/bundle.xml" web-bundle
record web-bundle

# Error answers, as crm_mon prints them: a CIB_file that does not exist (crm_mon exits 0 here!),
# and no cluster running on this machine (exit 102; recorded only when none runs).
CIB_file="$work/no-such-cib.xml" crm_mon --output-as=xml --inactive >"$out/error-no-cib-file.crm_mon.xml" || true
echo "recorded $out/error-no-cib-file.crm_mon.xml"
if env -u CIB_file crm_mon --output-as=xml --inactive >"$work/not-running.xml"; then
  echo "a cluster runs here: kept the old $out/error-not-running.crm_mon.xml"
else
  cp "$work/not-running.xml" "$out/error-not-running.crm_mon.xml"
  echo "recorded $out/error-not-running.crm_mon.xml"
fi
