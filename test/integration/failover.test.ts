/**
 * The failover paths, for real: a Temporal dev server, three node processes, the static cluster
 * service changed as an HA stack would change it, and real signals (SIGKILL, SIGSTOP, SIGCONT).
 * Every scenario ends with the committed backup restored and compared byte for byte.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coordinatorStatus, ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { attemptsOf, latestCheckpoint } from '../../src/catalog/attempts';
import { clusterEvents, jobEvents } from '../../src/catalog/jobs';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { DEMO_APP } from '../../src/demo/demo-files';
import type { BackupJobResult } from '../../src/model/backup';
import { waitFor } from '../../src/util/wait';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { repositoryPassword } from '../../src/config/load';
import { listSnapshots, openDrive } from '../../src/engine';
import { readLocks } from '../../src/engine/lock';
import { baton } from '../helpers/cli';
import { restoreSnapshot } from '../helpers/restore';
import { compareTrees } from '../helpers/tree';
import { killCoordinatorHostMidBackup } from '../helpers/coordinator-kill';
import { secondNodeSkip } from '../helpers/first-node';
import { historiesOfRuns, movesToldWhileRecorded, timersSatOutAfterMoves } from '../helpers/failover-histories';
import { historyOf } from '../helpers/history-growth';
import { coordinatorWorkflowId } from '../../src/model/names';

describe('failover on a real cluster', { timeout: 600_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;

  const setMap = (change: (map: ReturnType<typeof readStaticMap>) => void) => {
    const map = readStaticMap(c.files.mapFile);
    change(map);
    writeStaticMap(c.files.mapFile, map);
  };

  /** Waits until the coordinator has seen the app on `node`. */
  const placed = (node: string | null) =>
    waitFor(`coordinator to see ${DEMO_APP} on ${node}`, async () => {
      const s = await coordinatorStatus(c.client, c.config.cluster);
      return s.hosts[DEMO_APP] === node;
    });

  const startBackupWithCheckpoint = async (expectNode: string) => {
    // Full: the data is unchanged between scenarios, and a cached re-run would finish before the fault.
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'failover-test', true);
    assert.equal(started.node, expectNode);
    await waitFor('a first checkpoint', () => latestCheckpoint(c.catalog, started.jobId), 30_000);
    return started.jobId;
  };

  const assertRestoresIdentically = async (result: BackupJobResult) => {
    assert.equal(result.state, 'succeeded', result.error);
    const target = await restoreSnapshot(c.config, result.outcome);
    assert.deepEqual(compareTrees(c.files.appDir, target), []);
  };

  before(async () => {
    c = await startLocalCluster({
      demo: {
        // 40 MiB at 3 MiB/s: about 13 s, longer than a coordinator failover takes on a loaded
        // 2-core machine (10.7 s seen), so the job is still running when the coordinator moves
        appFiles: 160,
        appFileKiB: 256,
        jobs: {
          heartbeatTimeout: '3s',
          scheduleToStartTimeout: '10s',
          checkpointEvery: '1s',
          placementWait: '60s',
        },
        appBandwidthLimit: 3 * 1024 * 1024,
      },
    });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    await placed('node-2');
  });
  after(async () => c?.stop());

  test('app failover: the job follows its app to the new node and resumes from its checkpoint', async () => {
    const jobId = await startBackupWithCheckpoint('node-2');
    const movedAt = Date.now();
    setMap((m) => (m.apps[DEMO_APP] = 'node-3'));
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);

    const attempts = await attemptsOf(c.catalog, jobId);
    assert.deepEqual(
      attempts.map((a) => [a.node, a.drive, a.outcome, a.restart_kind]),
      [
        ['node-2', 'node-2-disk', 'moved', null],
        ['node-3', 'node-3-disk', 'succeeded', 'checkpoint'],
      ],
    );
    assert.ok(attempts[1].epoch > attempts[0].epoch);
    assert.match(attempts[1].restart_reason ?? '', /^app moved from node-2 to node-3; resuming after \d+ files/);
    // the coordinator told the job in the workflow task that recorded the move, not one round trip later
    const told = (await historiesOfRuns(c.client, coordinatorWorkflowId(c.config.cluster))).flatMap((h) =>
      movesToldWhileRecorded(h, jobId),
    );
    assert.deepEqual(told, [true]);
    const rerouteSeconds = (Date.parse(attempts[1].started_at) - movedAt) / 1000;
    console.log(`app failover: move to attempt on node-3 in ${rerouteSeconds.toFixed(1)} s`);
    assert.equal(
      result.outcome?.drive,
      join(c.dir, 'drives', 'node-3-disk'),
      'one snapshot, committed on the new drive',
    );

    const shown = baton(['job', jobId, '--config', c.files.configFile]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /1 +node-2 +node-2-disk +\d+ +moved +first attempt/);
    assert.match(
      shown.stdout,
      /2 +node-3 +node-3-disk +\d+ +succeeded +checkpoint: app moved from node-2 to node-3; resuming/,
    );
    assert.match(shown.stdout, /coordinator|app sample-db moved|attempt 2 \(epoch \d+\) on node-3/);
    const json = JSON.parse(baton(['job', jobId, '--json', '--config', c.files.configFile]).stdout) as {
      attempts: { node: string; drive: string; restart: { kind: string } | null }[];
    };
    assert.deepEqual(
      json.attempts.map((a) => [a.node, a.drive, a.restart?.kind ?? null]),
      [
        ['node-2', 'node-2-disk', null],
        ['node-3', 'node-3-disk', 'checkpoint'],
      ],
    );
    const listed = JSON.parse(baton(['jobs', '--json', '--config', c.files.configFile]).stdout) as {
      id: string;
      state: string;
      node: string;
      epoch: number;
    }[];
    assert.deepEqual(
      listed.filter((j) => j.id === jobId).map((j) => [j.state, j.node, j.epoch]),
      [['succeeded', 'node-3', attempts[1].epoch]],
    );
    const missing = baton(['job', 'no-such-job', '--config', c.files.configFile]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^baton: no job "no-such-job" in the catalog; list recent jobs with `baton jobs`/);
  });

  test('fencing: a stopped node that wakes up after its job moved cannot write', async () => {
    const staleDrive = await openDrive(join(c.dir, 'drives', 'node-3-disk'), {
      password: repositoryPassword(c.config),
    });
    const jobId = await startBackupWithCheckpoint('node-3');
    c.signal('node-3', 'SIGSTOP');
    let snapshotsBefore: number;
    try {
      setMap((m) => (m.apps[DEMO_APP] = 'node-1'));
      const result = await followJob(c.client, jobId, () => undefined, 500);
      await assertRestoresIdentically(result);
      const attempts = await attemptsOf(c.catalog, jobId);
      // The move is usually seen first; when the coordinator's own task was on the stopped node,
      // the heartbeat timeout can fire first. Either way attempt 2 runs where the app went.
      assert.deepEqual(
        attempts.map((a) => [a.node, a.outcome === 'timed-out' ? 'moved' : a.outcome]),
        [
          ['node-3', 'moved'],
          ['node-1', 'succeeded'],
        ],
        JSON.stringify(attempts),
      );
      assert.equal(result.outcome?.drive, join(c.dir, 'drives', 'node-1-disk'), JSON.stringify(result));
      snapshotsBefore = (await listSnapshots(staleDrive)).length;
    } finally {
      c.signal('node-3', 'SIGCONT');
    }
    // Woken up, the old attempt either hits the epoch check before its next write (write-fenced) or
    // first hears it was cancelled (attempt-stopped, which checks the epoch too); either way it
    // stops without committing anything.
    const stopped = await waitFor(
      'the woken node to stop',
      async () =>
        (await jobEvents(c.catalog, jobId)).find((e) => e.kind === 'write-fenced' || e.kind === 'attempt-stopped'),
      30_000,
    );
    assert.equal(stopped.node, 'node-3');
    assert.match(stopped.message, /epoch 1 .*fenced off.* current epoch is 2/);
    // The fenced attempt's backup() has ended for good once node-3's process holds no lock on the
    // stale drive: backup() releases its lock last, after the snapshot write, the only commit.
    const node3 = c.nodes.find((n) => n.node === 'node-3')?.child.pid;
    assert.ok(node3 !== undefined, 'node-3 runs');
    await waitFor(
      "node-3's backup to release its lock on the stale drive",
      async () => (await readLocks(staleDrive)).every((l) => l.lock.pid !== node3),
      30_000,
    );
    assert.equal((await listSnapshots(staleDrive)).length, snapshotsBefore, 'no late commit on the stale drive');
    await assertRestoresIdentically(await followJob(c.client, jobId, () => undefined));
  });

  test('node failure: the heartbeat timeout catches a killed node and the job resumes where the cluster puts the app', async () => {
    const jobId = await startBackupWithCheckpoint('node-1');
    c.signal('node-1', 'SIGKILL');
    const killedAt = Date.now();
    setMap((m) => (m.nodes['node-1'] = 'offline'));
    const first = await waitFor(
      'the dead attempt to time out',
      async () => (await attemptsOf(c.catalog, jobId)).find((a) => a.number === 1 && a.outcome),
      30_000,
    );
    assert.equal(first.outcome, 'timed-out');
    const detectSeconds = (Date.parse(first.ended_at ?? '') - killedAt) / 1000;
    // the job asks the cluster for its app's host every 2 s: place the app while it waits
    await waitFor('the job to wait for its app to be placed', async () => {
      const events = await historyOf(c.client, jobId);
      const ended = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).indexOf('endAttempt');
      return ended >= 0 && events.slice(ended).some((e) => e.timerStartedEventAttributes);
    });
    setMap((m) => (m.apps[DEMO_APP] = 'node-2'));
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    const attempts = await attemptsOf(c.catalog, jobId);
    assert.deepEqual(
      attempts.map((a) => [a.node, a.outcome, a.restart_kind]),
      [
        ['node-1', 'timed-out', null],
        ['node-2', 'succeeded', 'checkpoint'],
      ],
    );
    assert.match(attempts[1].restart_reason ?? '', /^attempt 1 on node-1 stopped heartbeating .*; resuming after/);
    // woken by the coordinator's appMoved signal: no timer of its placement wait ran out after it
    const satOut = timersSatOutAfterMoves(await historyOf(c.client, jobId));
    assert.ok(satOut.length > 0, 'the job heard of the move');
    assert.deepEqual(satOut.filter(Boolean), [], 'the job sat out its 2 s wait after it heard of the move');
    console.log(`node failure: SIGKILL to detection in ${detectSeconds.toFixed(1)} s`);
    c.restart('node-1');
    setMap((m) => (m.nodes['node-1'] = 'online'));
  });

  test('coordinator failover: the coordinator moves off a killed node process, records a hand-over (a failover once the node is reported down), reconciles, loses no job', async () => {
    const { host, jobId, killedAt, failover } = await killCoordinatorHostMidBackup(
      c,
      startBackupWithCheckpoint,
      60_000,
    );
    const actingSeconds = (Date.parse(failover.at) - killedAt) / 1000;
    console.log(
      `coordinator failover: host ${host} killed, coordinator acting on ${failover.node} in ${actingSeconds.toFixed(1)} s`,
    );
    assert.notEqual(failover.node, host);
    assert.match(
      failover.message,
      new RegExp(`^coordinator moved from ${host} to ${failover.node}; reconciling 1 running job`),
    );
    // a killed Baton process leaves its node online in the static map: a hand-over, not a node's death
    assert.equal(failover.kind, 'coordinator-handover');
    assert.match(failover.message, new RegExp(`a hand-over: the cluster service reports ${host} online`));
    // the cluster service then reports that node down (as one notices a dead node, seconds late):
    // the hand-over is recorded again as the failover it was
    setMap((m) => (m.nodes[host] = 'offline'));
    const late = await waitFor(`a late coordinator-failover event for ${host}`, async () =>
      (await clusterEvents(c.catalog, c.config.cluster)).find(
        (e) => e.kind === 'coordinator-failover' && e.message.includes(`move off ${host} at `),
      ),
    );
    assert.match(
      late.message,
      new RegExp(`recorded as a hand-over, was a failover: the cluster service reports ${host} offline now`),
    );
    const result = await followJob(c.client, jobId, () => undefined, 500);
    await assertRestoresIdentically(result);
    const events = await jobEvents(c.catalog, jobId);
    assert.ok(events.some((e) => e.kind === 'coordinator-reconciled' && e.node === failover.node));
    // still running, off the dead node (on failover.node, or wherever a later hand-over under load took it)
    const nowOn = (await coordinatorStatus(c.client, c.config.cluster)).host;
    assert.ok(nowOn && nowOn !== host, `the coordinator runs off ${host}, on ${nowOn}`);
    c.restart(host);
    setMap((m) => (m.nodes[host] = 'online'));
  });
});
