/**
 * The production profile's catalog: the same cluster and an app failover with the catalog on a
 * real PostgreSQL server (Debian's, started by the test) instead of SQLite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { getJob } from '../../src/catalog/jobs';
import { parseCatalogUrl } from '../../src/catalog/dialect';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { startPostgres, type TestPostgres } from '../helpers/postgres';

describe('catalog on PostgreSQL', { timeout: 180_000 }, () => {
  let pg: TestPostgres | undefined;
  let c: LocalCluster;
  before(async () => {
    pg = await startPostgres();
    if (!pg) throw new Error('PostgreSQL server binaries not found; apt-get install postgresql');
    c = await startLocalCluster({
      demo: {
        catalogUrl: pg.url,
        appFiles: 64,
        appFileKiB: 256,
        appBandwidthLimit: 4 * 1024 * 1024,
        jobs: { checkpointEvery: '1s' },
      },
    });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => {
    await c?.stop();
    pg?.stop();
  });

  test('an app failover is recorded in PostgreSQL: attempts, epochs, checkpoints, restart reason', async () => {
    assert.equal(parseCatalogUrl(c.config.catalogUrl).kind, 'postgres');
    await waitFor(
      'the coordinator to see the app',
      async () => (await coordinatorStatus(c.client, 'demo')).hosts[DEMO_APP] === 'node-2',
    );
    const started = await requestBackup(c.client, 'demo', DEMO_APP, 'pg-test');
    await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 30_000);
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = 'node-1';
    writeStaticMap(c.files.mapFile, map);
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
    const attempts = await attemptsOf(c.catalog, started.jobId);
    assert.deepEqual(
      attempts.map((a) => [a.node, a.outcome, a.restart_kind, a.epoch]),
      [
        ['node-2', 'moved', null, 1],
        ['node-1', 'succeeded', 'checkpoint', 2],
      ],
    );
    assert.equal((await getJob(c.catalog, started.jobId))?.state, 'succeeded');
  });
});
