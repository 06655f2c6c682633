/**
 * Baton on the Temporal server itself (go.temporal.io/server on PostgreSQL with SQL visibility),
 * not the dev server, with the catalog on PostgreSQL: three real node processes, a backup, an app
 * failover mid-backup and a SIGKILL of the coordinator's host, each ending in a byte-identical
 * restore. The first run builds the server into the cache (minutes; see src/devtools/temporal-server.ts).
 * BATON_TEST_REAL_SERVER=0 skips this file (CI's Node 24 run does; docs/development.md says why).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attemptsOf, latestCheckpoint } from '../../../src/catalog/attempts';
import { clusterEvents } from '../../../src/catalog/jobs';
import { parseCatalogUrl } from '../../../src/catalog/dialect';
import { coordinatorStatus, followJob, requestBackup } from '../../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../../src/cluster/static';
import { DEMO_APP, DEMO_CLUSTER, DEMO_NODES } from '../../../src/demo/demo-files';
import { coordinatorQueue, nodeQueue } from '../../../src/model/names';
import { clusterDynamicConfig } from '../../../src/model/server-dynamic-config';
import type { BackupJobResult } from '../../../src/model/backup';
import { waitFor } from '../../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../../helpers/local-cluster';
import { bootstrapCoordinator, say, startRealServerStack, type RealServerStack } from '../../helpers/real-server';
import { killCoordinatorHostMidBackup } from '../../helpers/coordinator-kill';
import { restoreSnapshot } from '../../helpers/restore';
import { compareTrees } from '../../helpers/tree';

const skip = process.env.BATON_TEST_REAL_SERVER === '0' ? 'BATON_TEST_REAL_SERVER=0' : false;
/** A cluster in the server's dynamic config that no worker polls: its queues' long polls are probed. */
const PROBE = 'probe';
/** gRPC's status code for a call past its deadline. */
const DEADLINE_EXCEEDED = 4;

describe('Baton on a real Temporal server with PostgreSQL', { skip, timeout: 45 * 60_000 }, () => {
  let stack: RealServerStack;
  let c: LocalCluster;
  const startedAt = Date.now();

  const setMap = (change: (map: ReturnType<typeof readStaticMap>) => void) => {
    const map = readStaticMap(c.files.mapFile);
    change(map);
    writeStaticMap(c.files.mapFile, map);
  };
  const placed = (node: string) =>
    waitFor(
      `coordinator to see ${DEMO_APP} on ${node}`,
      async () => (await coordinatorStatus(c.client, c.config.cluster)).hosts[DEMO_APP] === node,
    );
  const startBackupWithCheckpoint = async (expectNode: string) => {
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'real-server-test', true);
    assert.equal(started.node, expectNode);
    await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 60_000);
    return started.jobId;
  };
  /** Runs a test's body; a failure carries the cluster's events, so a CI log shows what happened. */
  const withEvents = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (err) {
      const events = await clusterEvents(c.catalog, c.config.cluster).catch((e: Error) => [{ error: e.message }]);
      const story = events.map((e) => JSON.stringify(e)).join('\n');
      throw new Error(`${(err as Error).message}\ncluster events:\n${story}`, { cause: err });
    }
  };
  const assertRestoresIdentically = async (result: BackupJobResult) => {
    assert.equal(result.state, 'succeeded', result.error);
    const target = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);
  };

  before(
    async () => {
      // docs/deploy.md's dynamic config (`baton server-config`), with a cluster no worker polls to probe
      stack = await startRealServerStack(
        clusterDynamicConfig([
          { cluster: DEMO_CLUSTER, nodes: DEMO_NODES },
          { cluster: PROBE, nodes: [PROBE] },
        ]),
      );
      const ready = Date.now();
      c = await startLocalCluster({
        temporal: stack.server.address,
        demo: {
          catalogUrl: stack.catalogUrl,
          // 40 MiB at 3 MiB/s: about 13 s, long enough for a move or a kill in the middle
          appFiles: 160,
          appFileKiB: 256,
          appBandwidthLimit: 3 * 1024 * 1024,
          jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: '1s', placementWait: '60s' },
        },
      });
      say(`baton apply: ${(await bootstrapCoordinator(c)).trim().split('\n').join(' / ')}`);
      await placed('node-2');
      say(
        `stack ready in ${((ready - startedAt) / 1000).toFixed(1)} s, cluster in ${((Date.now() - ready) / 1000).toFixed(1)} s`,
      );
    },
    { timeout: 40 * 60_000 },
  );
  after(async () => {
    await c?.stop();
    await stack?.stop();
    say(`tier ran ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  test('long polls expire after 1 s on a shared queue and keep 60 s on a node queue (baton server-config)', async () => {
    // The server answers a poll empty at its expiry, or a second before the caller's deadline (10 s)
    /** ms until an empty activity poll on `queue` returned; the deadline's when it did not return */
    const poll = async (queue: string): Promise<number> => {
      const sent = Date.now();
      try {
        await c.client.connection.withDeadline(sent + 10_000, () =>
          c.client.workflowService.pollActivityTaskQueue({
            namespace: c.config.temporal.namespace,
            taskQueue: { name: queue },
            identity: 'real-server-test',
          }),
        );
        return Date.now() - sent;
      } catch (err) {
        if ((err as { code?: number }).code === DEADLINE_EXCEEDED) return Date.now() - sent;
        throw err;
      }
    };
    const [shared, own] = await Promise.all([poll(coordinatorQueue(PROBE)), poll(nodeQueue(PROBE, PROBE))]);
    assert.ok(shared < 3000, `the coordinator queue's poll returned after ${shared} ms, not at its 1 s expiry`);
    assert.ok(own > 5000, `the node queue's poll returned after ${own} ms, not held open past 1 s`);
    say(`long polls: coordinator queue ${shared} ms, node queue ${own} ms`);
  });

  test('a backup on node-2 restores byte for byte; SQL visibility finds it by its search attributes', async () => {
    assert.equal(parseCatalogUrl(c.config.catalogUrl).kind, 'postgres');
    const system = await c.client.connection.workflowService.getSystemInfo({});
    assert.match(system.serverVersion ?? '', /^1\.32\./, 'the Temporal server itself, not the dev server');
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'real-server-test');
    assert.equal(started.node, 'node-2');
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    const query = `BatonCluster='${c.config.cluster}' AND BatonApp='${DEMO_APP}' AND BatonState='succeeded'`;
    await waitFor(`${started.jobId} in the visibility store`, async () => {
      for await (const w of c.client.workflow.list({ query })) if (w.workflowId === started.jobId) return true;
      return false;
    });
  });

  test('app failover mid-backup: the job follows the app to node-3 and resumes from its checkpoint', async () => {
    const jobId = await startBackupWithCheckpoint('node-2');
    setMap((m) => (m.apps[DEMO_APP] = 'node-3'));
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    const attempts = await attemptsOf(c.catalog, jobId);
    assert.deepEqual(
      attempts.map((a) => [a.node, a.outcome, a.restart_kind]),
      [
        ['node-2', 'moved', null],
        ['node-3', 'succeeded', 'checkpoint'],
      ],
    );
  });

  test("coordinator-host kill: SIGKILL to the coordinator's node mid-backup; it moves, reconciles, the job commits", () =>
    withEvents(async () => {
      const { host, jobId, killedAt, failover } = await killCoordinatorHostMidBackup(
        c,
        startBackupWithCheckpoint,
        90_000,
      );
      say(
        `coordinator moved from ${host} to ${failover.node} in ${((Date.parse(failover.at) - killedAt) / 1000).toFixed(1)} s`,
      );
      assert.notEqual(failover.node, host);
      assert.match(
        failover.message,
        new RegExp(`^coordinator moved from ${host} to ${failover.node}; reconciling 1 running job`),
      );
      await assertRestoresIdentically(await followJob(c.client, jobId, () => undefined, 500));
      // still running, off the dead node (on failover.node, or wherever a later hand-over under load took it)
      const nowOn = (await coordinatorStatus(c.client, c.config.cluster)).host;
      assert.ok(nowOn && nowOn !== host, `the coordinator runs off ${host}, on ${nowOn}`);
    }));
});
