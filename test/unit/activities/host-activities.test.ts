/**
 * reportHost: the news it signals (another node or view, an outage's failures, the recovery) and
 * the quiet it keeps otherwise; its retries of the cluster service; a failed signal thrown.
 * observeHost with the static cluster service on a real map file: the whole view the first time,
 * from another node, and after a change; an answer without its nodes and apps when the coordinator
 * already holds that version on this node, so its history does not carry the view every tick.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHostActivities } from '../../../src/activities/host-activities';
import { ClusterUnavailableError, type ClusterAdapter } from '../../../src/cluster/adapter';
import { StaticClusterAdapter, writeStaticMap } from '../../../src/cluster/static';
import type { HostReport } from '../../../src/model/coordinator';
import { tempDir } from '../../helpers/temp';

const tmp = tempDir('baton-host-');
after(() => tmp.cleanup());

const noTell = () => Promise.reject(new Error('observeHost signals nothing'));

test('observeHost leaves out a view the coordinator holds, and only that', async () => {
  const file = join(tmp.path, 'map.json');
  writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'online' }, apps: { db: 'node-1' } });
  const host = createHostActivities({ node: 'node-1', cluster: new StaticClusterAdapter(file), tell: noTell });

  const first = await host.observeHost({ host: null, version: null });
  assert.equal(first.cluster.apps.length, 1);
  assert.equal(first.cluster.nodes.length, 2);
  const version = first.cluster.version;

  const held = await host.observeHost({ host: 'node-1', version });
  assert.deepEqual([held.cluster.version, held.cluster.apps, held.cluster.nodes], [version, [], []]);

  // the coordinator just moved here: it gets the whole view to reconcile with
  const moved = await host.observeHost({ host: 'node-2', version });
  assert.equal(moved.cluster.apps.length, 1);

  writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'online' }, apps: { db: 'node-2' } });
  const changed = await host.observeHost({ host: 'node-1', version });
  assert.notEqual(changed.cluster.version, version);
  assert.deepEqual(changed.cluster.apps, [{ name: 'db', host: 'node-2', state: 'started' }]);
});

const request = { workflowId: 'baton-coordinator-c1', runId: 'run-1' };

/** reportHost's activities on node-1, with the reports it signals kept in `told`. */
function reporting(cluster: ClusterAdapter) {
  const told: { run: { workflowId: string; runId: string }; report: HostReport }[] = [];
  const tell = (run: { workflowId: string; runId: string }, report: HostReport) => {
    told.push({ run, report });
    return Promise.resolve();
  };
  return { told, host: createHostActivities({ node: 'node-1', cluster, tell, retryWaitsMs: [1, 1] }) };
}

test('reportHost signals news only: another node, another view, an answer after an outage', async () => {
  const file = join(tmp.path, 'report-map.json');
  writeStaticMap(file, { nodes: { 'node-1': 'online' }, apps: { db: 'node-1' } });
  const { told, host } = reporting(new StaticClusterAdapter(file));

  assert.equal(await host.reportHost({ ...request, ask: 1, host: null, version: null, outage: false }), true);
  assert.equal(told.length, 1);
  assert.deepEqual(told[0].run, request);
  const first = told[0].report;
  assert.ok('cluster' in first);
  assert.deepEqual([first.ask, first.node, first.cluster.apps.length], [1, 'node-1', 1]);
  const version = first.cluster.version;

  // the view it holds, on this node: nothing to say
  assert.equal(await host.reportHost({ ...request, ask: 2, host: 'node-1', version, outage: false }), false);
  assert.equal(told.length, 1);

  // the same view after an outage: the recovery, without the apps it holds
  assert.equal(await host.reportHost({ ...request, ask: 3, host: 'node-1', version, outage: true }), true);
  const recovered = told[1].report;
  assert.ok('cluster' in recovered);
  assert.deepEqual([recovered.ask, recovered.cluster.version, recovered.cluster.apps], [3, version, []]);

  writeStaticMap(file, { nodes: { 'node-1': 'online' }, apps: { db: null } });
  await host.reportHost({ ...request, ask: 4, host: 'node-1', version, outage: false });
  const changed = told[2].report;
  assert.ok('cluster' in changed);
  assert.notEqual(changed.cluster.version, version);
});

test('reportHost tries the cluster service three times, then signals the failure instead of throwing', async () => {
  let tries = 0;
  const failing: ClusterAdapter = {
    kind: 'test',
    snapshot: () => {
      tries++;
      return Promise.reject(new ClusterUnavailableError(`crm_mon timed out (try ${tries})`));
    },
  };
  const { told, host } = reporting(failing);
  assert.equal(await host.reportHost({ ...request, ask: 7, host: 'node-1', version: 'v1', outage: false }), true);
  assert.equal(tries, 3);
  assert.deepEqual(told[0].report, { ask: 7, node: 'node-1', error: 'crm_mon timed out (try 3)' });
});

test('reportHost answers when the cluster service answers on a second try', async () => {
  let tries = 0;
  const flaky: ClusterAdapter = {
    kind: 'test',
    snapshot: () =>
      ++tries === 1
        ? Promise.reject(new ClusterUnavailableError('crm_mon timed out'))
        : Promise.resolve({ version: 'v2', takenAt: '2026-12-06T12:00:00.000Z', nodes: [], apps: [] }),
  };
  const { told, host } = reporting(flaky);
  await host.reportHost({ ...request, ask: 1, host: 'node-1', version: 'v1', outage: false });
  assert.equal(tries, 2);
  assert.deepEqual(told[0].report, {
    ask: 1,
    node: 'node-1',
    cluster: { version: 'v2', takenAt: '2026-12-06T12:00:00.000Z', nodes: [], apps: [] },
  });
});

test('a failed signal fails reportHost, so its local activity retries it', async () => {
  const file = join(tmp.path, 'signal-map.json');
  writeStaticMap(file, { nodes: { 'node-1': 'online' }, apps: {} });
  const tell = () => Promise.reject(new Error('connection refused'));
  const host = createHostActivities({ node: 'node-1', cluster: new StaticClusterAdapter(file), tell });
  await assert.rejects(
    host.reportHost({ ...request, ask: 1, host: null, version: null, outage: false }),
    /connection refused/,
  );
});
