/**
 * The drills' ClusterControl per cluster service kind, and the refusal of a drill whose fault the
 * service cannot take: up front, before the drill connects to anything or starts a backup.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeStaticMap } from '../../../src/cluster/static';
import { loadConfig } from '../../../src/config/load';
import { clusterControlFor } from '../../../src/drill/cluster-control-for';
import { runDrill } from '../../../src/drill/run-drill';
import { SCENARIOS } from '../../../src/drill/scenario-names';
import { UserError } from '../../../src/model/errors';
import { tempDir } from '../../helpers/temp';

/** A config file for cluster c with `clusterService`; Temporal on a port nothing listens on. */
function configFile(clusterService: string): string {
  const dir = tempDir('baton-drill-control-').path;
  const file = join(dir, 'baton.yaml');
  writeFileSync(
    file,
    `cluster: c
temporal:
  address: 127.0.0.1:1
nodes: [{ name: n1 }, { name: n2 }]
drives:
  - { name: n1-d, node: n1, path: drives/n1 }
  - { name: n2-d, node: n2, path: drives/n2 }
apps:
  - { name: db, paths: [${dir}] }
${clusterService}
`,
  );
  writeStaticMap(join(dir, 'cluster-map.json'), { nodes: { n1: 'online', n2: 'online' }, apps: { db: 'n1' } });
  return file;
}

test('the static map takes every drill; Pacemaker from this machine takes all but node-failure', async () => {
  const staticMap = clusterControlFor(
    loadConfig(configFile('clusterService: { kind: static, mapFile: cluster-map.json }')),
  );
  assert.equal(staticMap.kind, 'static');
  for (const s of SCENARIOS) assert.equal(await staticMap.refusal(s), null, s);
  assert.deepEqual((await staticMap.view()).apps, { db: 'n1' });

  const pacemaker = clusterControlFor(
    loadConfig(configFile('clusterService: { kind: pacemaker, resources: { db: g } }')),
  );
  assert.equal(pacemaker.kind, 'pacemaker');
  assert.equal(pacemaker.failureMovesApps, true);
  for (const s of ['app-failover', 'coordinator-failover', 'fencing'] as const) {
    assert.equal(await pacemaker.refusal(s), null, s);
  }
  assert.match(
    (await pacemaker.refusal('node-failure')) ?? '',
    /stops Pacemaker on the app’s node and starts it again afterwards, and baton drill has no way into another node/,
  );
});

test('a drill the cluster service cannot take is refused before anything is asked or changed', async () => {
  const file = configFile('clusterService: { kind: pacemaker, resources: { db: g } }');
  // Temporal at 127.0.0.1:1 and no Pacemaker here: reaching either would fail with another error.
  await assert.rejects(
    runDrill({ scenario: 'node-failure', configFile: file, app: 'db' }),
    (err: unknown) =>
      err instanceof UserError &&
      /^cannot run the node-failure drill on cluster c: node-failure on Pacemaker stops Pacemaker/.test(err.message),
  );
  const saved = configFile('clusterService: { kind: pacemaker, cibFile: saved-cib.xml }');
  for (const scenario of SCENARIOS) {
    await assert.rejects(
      runDrill({ scenario, configFile: saved, app: 'db' }),
      (err: unknown) =>
        err instanceof UserError &&
        err.message.startsWith(`cannot run the ${scenario} drill on cluster c: `) &&
        /reads a saved CIB \(clusterService\.cibFile .*saved-cib\.xml\), which no fault changes: drills need the live cluster; remove cibFile/.test(
          err.message,
        ),
    );
  }
});
