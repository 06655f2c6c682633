/**
 * The local cluster controls behind `baton cluster move|fail` and the drills: on a real static map
 * file and a real process (a `sleep` standing in for a node process, killed for real).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../../src/model/errors';
import { readStaticMap, writeStaticMap } from '../../../src/cluster/static';
import { configFromObject } from '../../../src/config/load';
import { failNode, moveApp, pidFile } from '../../../src/demo/cluster-control';
import { tempDir } from '../../helpers/temp';

function cluster() {
  const dir = tempDir('baton-control-').path;
  const config = configFromObject(
    {
      cluster: 'c',
      nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }],
      drives: ['n1', 'n2', 'n3'].map((n) => ({ name: `${n}-d`, node: n, path: `drives/${n}` })),
      apps: [
        { name: 'db', paths: ['/data/db'] },
        { name: 'web', paths: ['/data/web'] },
      ],
    },
    join(dir, 'baton.yaml'),
    dir,
  );
  const mapFile = join(dir, 'cluster-map.json');
  writeStaticMap(mapFile, { nodes: { n1: 'online', n2: 'online', n3: 'online' }, apps: { db: 'n2', web: 'n1' } });
  return { config, mapFile };
}

test('failNode kills the node’s process, marks it offline and fails its apps over to the first online node', async () => {
  const { config, mapFile } = cluster();
  const victim = spawn('sleep', ['60']);
  const exited = new Promise<NodeJS.Signals | null>((r) => victim.once('exit', (_code, signal) => r(signal)));
  writeFileSync(pidFile(config, 'n2'), `${victim.pid}\n`);
  const { killed, moved } = failNode(config, 'n2');
  assert.equal(killed, victim.pid);
  assert.equal(await exited, 'SIGKILL');
  assert.deepEqual(moved, { db: 'n1' });
  assert.deepEqual(readStaticMap(mapFile), {
    nodes: { n1: 'online', n2: 'offline', n3: 'online' },
    apps: { db: 'n1', web: 'n1' },
  });
});

test('failNode without a local process only changes the map', () => {
  const { config, mapFile } = cluster();
  assert.deepEqual(failNode(config, 'n1'), { killed: null, moved: { web: 'n2' } });
  assert.equal(readStaticMap(mapFile).nodes.n1, 'offline');
});

test('moveApp refuses an unknown app, an unknown node and an offline node, and changes nothing', () => {
  const { config, mapFile } = cluster();
  failNode(config, 'n3');
  const before = JSON.stringify(readStaticMap(mapFile));
  assert.throws(() => moveApp(config, 'nope', 'n1'), /^UserError: unknown app "nope"; apps in .*: db, web$/);
  assert.throws(() => moveApp(config, 'db', 'n9'), /unknown node "n9"; nodes in .*: n1, n2, n3$/);
  assert.throws(
    () => moveApp(config, 'db', 'n3'),
    (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.message, 'node "n3" is offline; move db to an online node');
      return true;
    },
  );
  assert.equal(JSON.stringify(readStaticMap(mapFile)), before);
  assert.deepEqual(moveApp(config, 'db', 'n1'), { from: 'n2' });
  assert.equal(readStaticMap(mapFile).apps.db, 'n1');
});

test('a pacemaker cluster is not changed through the static map', () => {
  const { config } = cluster();
  const pacemaker = { ...config, clusterService: { kind: 'pacemaker' as const, resources: {}, timeoutMs: 1000 } };
  assert.throws(
    () => moveApp(pacemaker, 'db', 'n1'),
    /uses the pacemaker cluster service, not a static map; .*crm_resource --move/,
  );
});
