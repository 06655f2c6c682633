/**
 * observeHost with the static cluster service on a real map file: the whole view the first time,
 * from another node, and after a change; an answer without its nodes and apps when the coordinator
 * already holds that version on this node, so its history does not carry the view every tick.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHostActivities } from '../../../src/activities/host-activities';
import { StaticClusterAdapter, writeStaticMap } from '../../../src/cluster/static';
import { tempDir } from '../../helpers/temp';

const tmp = tempDir('baton-host-');
after(() => tmp.cleanup());

test('observeHost leaves out a view the coordinator holds, and only that', async () => {
  const file = join(tmp.path, 'map.json');
  writeStaticMap(file, { nodes: { 'node-1': 'online', 'node-2': 'online' }, apps: { db: 'node-1' } });
  const host = createHostActivities({ node: 'node-1', cluster: new StaticClusterAdapter(file) });

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
