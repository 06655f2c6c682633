/**
 * Self-fencing: a node that cannot reach Temporal for longer than the heartbeat timeout stops
 * writing on its own (the Temporal server is SIGSTOPped here, so every node loses it), and once
 * Temporal is back the job carries on from its checkpoint and commits one intact snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { jobEvents } from '../../src/catalog/jobs';
import { DEMO_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';

describe('a node cut off from Temporal', { timeout: 240_000 }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({
      demo: {
        appFiles: 96,
        appFileKiB: 256,
        appBandwidthLimit: 2 * 1024 * 1024,
        jobs: { heartbeatTimeout: '3s', checkpointEvery: '1s', scheduleToStartTimeout: '20s' },
      },
    });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  });
  after(async () => {
    if (c?.server?.process.pid) process.kill(c.server.process.pid, 'SIGCONT');
    await c?.stop();
  });

  test('stops writing after the heartbeat timeout, and the job resumes once Temporal is back', async () => {
    const server = c.server?.process.pid;
    assert.ok(server, 'this test stops its own Temporal server; unset BATON_TEST_TEMPORAL');
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'isolation-test', true);
    await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 30_000);
    process.kill(server, 'SIGSTOP');
    let isolated;
    try {
      isolated = await waitFor(
        'the node to stop writing on its own',
        async () => (await jobEvents(c.catalog, started.jobId)).find((e) => e.kind === 'attempt-isolated'),
        20_000,
      );
    } finally {
      process.kill(server, 'SIGCONT');
    }
    assert.equal(isolated.node, 'node-2');
    assert.match(isolated.message, /^node node-2 has not reached Temporal for \d+ s; it stops writing/);
    const checkpointsAtStop = (await latestCheckpoint(c.catalog, started.jobId))?.seq;

    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', result.error);
    const attempts = await attemptsOf(c.catalog, started.jobId);
    assert.ok(attempts.length >= 2, JSON.stringify(attempts));
    // failed (its Isolated report) or timed-out (the server's heartbeat timer fired first on waking)
    assert.ok(['failed', 'timed-out'].includes(attempts[0].outcome ?? ''), JSON.stringify(attempts[0]));
    assert.equal(attempts.at(-1)?.restart_kind, 'checkpoint');
    assert.ok(checkpointsAtStop !== undefined);
    assert.deepEqual(compareTrees(c.files.appDir, await restoreSnapshot(c.config, result.outcome)), []);
  });
});
