/**
 * PacemakerAdapter against a real, running single-node Pacemaker cluster (see pacemaker-test-cluster.ts):
 * create an app's resource group, stop it, start it, ban it from its node, put the node in standby,
 * and check that each snapshot follows; the Baton alert agent, registered as a Pacemaker alert,
 * must fire for the resource changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import type { ClusterSnapshot } from '../../src/model/cluster';
import { PacemakerAdapter } from '../../src/cluster/pacemaker.js';
import { TestCluster, alertAgent, until, whyNotLive } from '../helpers/pacemaker-test-cluster.js';
import { tempDir } from '../helpers/temp';

const NODE = 'node-1';

const GROUP = `<group id="db">
  <primitive id="db-ip" class="ocf" provider="pacemaker" type="Dummy">
    <operations><op id="db-ip-monitor-5s" name="monitor" interval="5s"/></operations>
  </primitive>
  <primitive id="db-server" class="ocf" provider="pacemaker" type="Dummy">
    <operations><op id="db-server-monitor-5s" name="monitor" interval="5s"/></operations>
  </primitive>
</group>`;

void test('PacemakerAdapter follows a live single-node Pacemaker cluster', { timeout: 300_000 }, async (t) => {
  const why = await whyNotLive();
  if (why !== null) {
    t.skip(why);
    return;
  }
  const tmp = tempDir('baton-pacemaker-live-');
  const dir = tmp.path;
  // Alerts run as Pacemaker's hacluster user: it must be able to append to the events file.
  chmodSync(dir, 0o777);
  const { xml: alertXml, events } = alertAgent(dir);
  const cluster = await TestCluster.start(dir, 1);
  const run = (cmd: string, args: string[]) => cluster.tool(NODE, cmd, ...args);
  t.after(async () => {
    await cluster.stop();
    tmp.cleanup();
  });
  t.diagnostic(`cluster up (node online, DC elected) after ${cluster.startupMs} ms`);

  const adapter = new PacemakerAdapter({ apps: { database: 'db' } });
  const versions = new Set<string>();
  /** Runs a change, then waits until a snapshot shows `want`; reports how long that took. */
  const step = async (what: string, change: () => Promise<unknown>, want: (s: ClusterSnapshot) => boolean) => {
    const started = Date.now();
    await change();
    let last: ClusterSnapshot | undefined;
    const ok = await until(async () => want((last = await adapter.snapshot())), 60_000);
    assert.ok(ok, `${what}: snapshot never matched; last: ${JSON.stringify(last)}`);
    t.diagnostic(`${what}: seen after ${Date.now() - started} ms`);
    versions.add((last as ClusterSnapshot).version);
    return last as ClusterSnapshot;
  };
  const app = (s: ClusterSnapshot) => s.apps.find((a) => a.name === 'database');

  await run('cibadmin', ['--create', '--scope', 'configuration', '--xml-text', alertXml]);
  const created = await step(
    'group db created',
    () => run('cibadmin', ['--create', '--scope', 'resources', '--xml-text', GROUP]),
    (s) => app(s)?.state === 'started',
  );
  assert.deepEqual(created.nodes, [{ name: NODE, state: 'online' }]);
  assert.deepEqual(app(created), { name: 'database', host: NODE, state: 'started' });

  const setRole = (role: string) => () =>
    run('crm_resource', ['--resource', 'db', '--meta', '--set-parameter', 'target-role', '--parameter-value', role]);
  const stopped = await step('db stopped', setRole('Stopped'), (s) => app(s)?.state === 'stopped');
  assert.deepEqual(app(stopped), { name: 'database', host: null, state: 'stopped' });
  await step('db started', setRole('Started'), (s) => app(s)?.host === NODE && app(s)?.state === 'started');

  // With one node, moving away from it (a ban) leaves nowhere to run: the app stops.
  await step(
    'db banned from node-1',
    () => run('crm_resource', ['--resource', 'db', '--ban', '--node', NODE]),
    (s) => app(s)?.state === 'stopped',
  );
  await step(
    'ban cleared',
    () => run('crm_resource', ['--resource', 'db', '--clear']),
    (s) => app(s)?.state === 'started',
  );

  const standby = await step(
    'node-1 standby',
    () => run('crm_attribute', ['--node', NODE, '--name', 'standby', '--update', 'on']),
    (s) => s.nodes[0]?.state === 'standby' && app(s)?.state === 'stopped',
  );
  assert.equal(standby.apps[0]?.host, null);
  await step(
    'node-1 back online',
    () => run('crm_attribute', ['--node', NODE, '--name', 'standby', '--update', 'off']),
    (s) => s.nodes[0]?.state === 'online' && app(s)?.state === 'started',
  );
  // Started twice over the run, stopped three times: at least these distinct views.
  assert.ok(versions.size >= 3, `versions: ${[...versions].join(', ')}`);

  // The alert agent ran for the resource operations, as hacluster, through BATON_ALERT_COMMAND.
  const fired = await until(() => {
    const lines = existsSync(events) ? readFileSync(events, 'utf8').trim().split('\n') : [];
    const ops = lines.map((l) => JSON.parse(l) as Record<string, string>).filter((e) => e.kind === 'resource');
    return Promise.resolve(
      ops.some((e) => e.rsc === 'db-ip' && e.task === 'stop') && ops.some((e) => e.task === 'start'),
    );
  }, 15_000);
  const seen = existsSync(events) ? readFileSync(events, 'utf8') : '(no events file)';
  assert.ok(fired, `alert agent events: ${seen}`);
  const first = JSON.parse(seen.split('\n')[0]) as Record<string, string>;
  assert.equal(first.source, 'pacemaker');
  const stop = seen.split('\n').find((l) => l.includes('"task":"stop"'));
  t.diagnostic(`alert events recorded: ${seen.trim().split('\n').length}; a stop: ${stop}`);
});
