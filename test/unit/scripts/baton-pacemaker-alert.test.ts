import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/temp';

const agent = join(__dirname, '../../../../scripts/baton-pacemaker-alert.sh');

/** Runs the agent as Pacemaker would: CRM_alert_* variables, no stdin; returns what the command read. */
function fire(alertEnv: Record<string, string>): { status: number | null; stderr: string; event?: unknown } {
  const tmp = tempDir('baton-alert-');
  try {
    const out = join(tmp.path, 'event.json');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, BATON_ALERT_COMMAND: `cat > '${out}'`, ...alertEnv };
    const r = spawnSync(agent, [], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    let event: unknown;
    try {
      event = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      event = undefined;
    }
    return { status: r.status, stderr: r.stderr, event };
  } finally {
    tmp.cleanup();
  }
}

void test('a resource event reaches the command as JSON', () => {
  // The variables Pacemaker 2.1 sets for a resource operation alert.
  const r = fire({
    CRM_alert_kind: 'resource',
    CRM_alert_version: '2.1.5',
    CRM_alert_recipient: '/var/lib/baton/alerts',
    CRM_alert_node_sequence: '7',
    CRM_alert_timestamp: '01:02:03.456789',
    CRM_alert_timestamp_epoch: '1800000000',
    CRM_alert_timestamp_usec: '456789',
    CRM_alert_node: 'node-2',
    CRM_alert_nodeid: '2',
    CRM_alert_rsc: 'db-ip',
    CRM_alert_task: 'start',
    CRM_alert_interval: '0',
    CRM_alert_desc: 'ok',
    CRM_alert_rc: '0',
    CRM_alert_target_rc: '0',
    CRM_alert_status: '0',
    CRM_alert_exec_time: '12',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.event, {
    source: 'pacemaker',
    kind: 'resource',
    node: 'node-2',
    nodeid: '2',
    rsc: 'db-ip',
    task: 'start',
    desc: 'ok',
    rc: '0',
    target_rc: '0',
    status: '0',
    interval: '0',
    exec_time: '12',
    recipient: '/var/lib/baton/alerts',
    version: '2.1.5',
    timestamp: '01:02:03.456789',
    timestamp_epoch: '1800000000',
    timestamp_usec: '456789',
    node_sequence: '7',
  });
});

void test('a node event with awkward text is still valid JSON', () => {
  const desc = 'lost "quorum"\\ on\nnode\tone\u0001';
  const r = fire({ CRM_alert_kind: 'node', CRM_alert_node: 'node-1', CRM_alert_desc: desc });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.event, {
    source: 'pacemaker',
    kind: 'node',
    node: 'node-1',
    desc: 'lost "quorum"\\ on\nnode\tone',
  });
});

void test('without BATON_ALERT_COMMAND the agent fails and says how to fix it', () => {
  const r = spawnSync(agent, [], { env: { PATH: process.env.PATH, CRM_alert_kind: 'node' }, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /BATON_ALERT_COMMAND is not set; set it as an instance attribute of the alert/);
});

void test("the command's failure is the agent's failure", () => {
  const r = spawnSync(agent, [], {
    env: { PATH: process.env.PATH, CRM_alert_kind: 'node', BATON_ALERT_COMMAND: 'cat >/dev/null; exit 5' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 5);
});
