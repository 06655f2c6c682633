/**
 * A committed attempt wins, for real (docs/restart-policy.md): a Temporal dev server, three node
 * processes, the static cluster service. The node's backup attempt commits, then (the test-only
 * BATON_TEST_PAUSE_AFTER_COMMIT_MS) waits before its activity returns, and the app is moved to
 * another node right then: the coordinator's appMoved reaches the job while the completion is in
 * flight. The job ends with the committed snapshot: one snapshot across every drive, one attempt,
 * recorded succeeded, and it restores byte for byte. Before the fix the move won: attempt 1 was
 * recorded `moved` and attempt 2 backed the app up again on the new node (two snapshots).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attemptsOf } from '../../src/catalog/attempts';
import { jobEvents } from '../../src/catalog/jobs';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { repositoryPassword } from '../../src/config/load';
import { DEMO_APP } from '../../src/demo/demo-files';
import { listSnapshots, openDrive } from '../../src/engine';
import { waitFor } from '../../src/util/wait';
import { secondNodeSkip } from '../helpers/first-node';
import { historyOf } from '../helpers/history-growth';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';

/** How long the attempt waits after its commit: time for the move to reach the job meanwhile. */
const PAUSE_MS = 6000;

describe('a committed attempt wins over a move', { timeout: 300_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;

  const placed = (node: string) =>
    waitFor(`coordinator to see ${DEMO_APP} on ${node}`, async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return s.hosts[DEMO_APP] === node;
    });

  before(async () => {
    // the node processes inherit it: every attempt pauses after its commit
    process.env.BATON_TEST_PAUSE_AFTER_COMMIT_MS = String(PAUSE_MS);
    c = await startLocalCluster({
      demo: {
        // 4 MiB read at 2 MiB/s: about 2 s to the commit
        appFiles: 16,
        appFileKiB: 256,
        appBandwidthLimit: 2 * 1024 * 1024,
        jobs: { heartbeatTimeout: '3s', scheduleToStartTimeout: '10s', checkpointEvery: '1s', placementWait: '30s' },
      },
    });
    delete process.env.BATON_TEST_PAUSE_AFTER_COMMIT_MS;
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => c?.stop());

  test('the app moved while the committed attempt is returning: the job ends with that snapshot, no second attempt', async () => {
    const from = await waitFor(
      `coordinator to place ${DEMO_APP}`,
      async () => (await coordinatorStatus(c.client, c.config.cluster)).hosts[DEMO_APP],
    );
    const to = c.config.plan.nodes.map((n) => n.name).find((n) => n !== from) as string;
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'committed-wins-test', true);
    assert.equal(started.node, from);
    const log = join(c.dir, 'logs', `${from}.log`);
    await waitFor(
      `${from} to log its commit`,
      () => existsSync(log) && readFileSync(log, 'utf8').includes('"msg":"backup attempt committed"'),
      60_000,
      50,
    );
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = to;
    writeStaticMap(c.files.mapFile, map);
    await placed(to);
    const result = await followJob(c.client, started.jobId, () => undefined, 500);

    assert.equal(result.state, 'succeeded', result.error);
    const fromDrive = join(c.dir, 'drives', `${from}-disk`);
    assert.equal(result.outcome?.drive, fromDrive);
    const attempts = await attemptsOf(c.catalog, started.jobId);
    assert.deepEqual(
      attempts.map((a) => [a.number, a.node, a.outcome]),
      [[1, from, 'succeeded']],
      JSON.stringify(attempts),
    );
    const job = await c.catalog.selectFrom('jobs').selectAll().where('id', '=', started.jobId).executeTakeFirst();
    assert.equal(job?.state, 'succeeded');
    const rows = await c.catalog.selectFrom('snapshots').selectAll().where('job_id', '=', started.jobId).execute();
    assert.deepEqual(
      rows.map((r) => [r.id, r.drive_path]),
      [[result.outcome?.snapshotId, fromDrive]],
    );
    // the move won the race in the job (not the completion after the pause): it settled the attempt
    const scheduled = (await historyOf(c.client, started.jobId)).flatMap(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    );
    assert.ok(scheduled.includes('settleMovedAttempt'), scheduled.join());
    const events = await jobEvents(c.catalog, started.jobId);
    assert.ok(events.some((e) => e.kind === 'attempt-committed'));
    assert.ok(!events.some((e) => e.kind === 'attempt-fenced'));

    // exactly one snapshot of the app on all the cluster's drives
    const password = repositoryPassword(c.config);
    const found: string[] = [];
    for (const n of c.config.plan.nodes) {
      const path = join(c.dir, 'drives', `${n.name}-disk`);
      const drive = await openDrive(path, { password }).catch(() => null); // never initialised: none there
      if (!drive) continue;
      for (const s of await listSnapshots(drive)) if (s.snapshot.app === DEMO_APP) found.push(s.id);
    }
    assert.deepEqual(found, [result.outcome?.snapshotId]);

    assert.ok(result.outcome);
    const target = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);
  });
});
