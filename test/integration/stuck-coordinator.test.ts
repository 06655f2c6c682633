/**
 * A coordinator whose workflow task fails on every try (as one started by an older, incompatible
 * Baton does when today's code cannot replay its history): the CLI's calls to it end with one
 * error that says so, gives the failed task's cause and message (read from describe() and the
 * history, not from the server's words) and the way out, and change nothing; the demo's
 * ensureCoordinator replaces one that has no running jobs, and refuses to orphan a running job.
 * The last case makes a real nondeterminism failure: the nodes are killed mid-backup and a worker
 * runs the coordinator with an unpatched change (test/replay/fixtures/coordinator-timer-added);
 * once that worker is gone and the nodes run again, the coordinator replays and goes on.
 * Last, a job whose end waits on a coordinator that takes no update (its run on a queue no node
 * polls; its reportJobEnd activity sends the jobEnded update) and whose activity's node is
 * SIGKILLed meanwhile: the activity heartbeats, so another node takes it over within its 15 s
 * heartbeat timeout, not at its 3 min start-to-close timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { UserError } from '../../src/model/errors';
import {
  StuckCoordinatorError,
  coordinatorStatus,
  ensureCoordinator,
  requestBackup,
} from '../../src/client/coordinator-client';
import { DRILL_APP } from '../../src/demo/demo-files';
import { waitFor } from '../../src/util/wait';
import { attemptsOf } from '../../src/catalog/attempts';
import { coordinatorQueue, coordinatorWorkflowId, parseWorkerIdentity } from '../../src/model/names';
import { nodesEnsuredCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

describe('a stuck coordinator', { timeout: 240_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster({ cluster: 'stuck' });
  });
  after(async () => c?.stop());

  test('ensureCoordinator and requestBackup end with one clear error naming the way out; the demo replaces it', async () => {
    const { config } = c;
    const { cluster } = config;
    const id = coordinatorWorkflowId(cluster);
    // the nodes start (or find) a healthy one once they are up: after all three did, a stuck one
    // takes its place
    await nodesEnsuredCoordinator(c);
    await c.client.workflow
      .getHandle(id)
      .terminate('the test starts a stuck coordinator in its place')
      .catch(() => undefined);
    // no input: the workflow code throws a TypeError in its first task, which then fails on every try
    const handle = await c.client.workflow.start('coordinator', {
      workflowId: id,
      taskQueue: coordinatorQueue(cluster),
      args: [null],
    });
    try {
      await waitFor('the workflow task to fail and be retried', async () => {
        const d = await handle.describe();
        return (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 2;
      });
      await assert.rejects(ensureCoordinator(c.client, config), (err: unknown) => {
        assert.ok(err instanceof UserError, String(err));
        assert.match(
          err.message,
          /^the coordinator of cluster stuck \(workflow baton-coordinator-stuck\) is stuck: its workflow task fails on every try \(.*null.*\)/,
        );
        assert.match(err.message, /incompatible version of Baton/);
        assert.ok(
          err.message.includes(`temporal workflow terminate --workflow-id ${id} --address ${c.address}`),
          err.message,
        );
        return true;
      });
      await assert.rejects(requestBackup(c.client, cluster, DRILL_APP, 'test'), (err: unknown) => {
        assert.ok(err instanceof UserError, String(err));
        assert.match(err.message, /is stuck: its workflow task fails on every try/);
        assert.ok(
          err.message.includes(`temporal workflow terminate --workflow-id ${id} --address ${c.address}`),
          err.message,
        );
        return true;
      });
      // nothing changed: the same run, still there for whoever looks at it
      const d = await handle.describe();
      assert.equal(d.status.name, 'RUNNING');
      assert.equal(d.runId, handle.firstExecutionRunId);

      // as the demo does: replace it
      const heard: StuckCoordinatorError[] = [];
      await ensureCoordinator(c.client, config, { replaceStuck: (e) => heard.push(e) });
      assert.equal(heard.length, 1);
      assert.match(heard[0].reason, /null/);
      const old = await c.client.workflow.getHandle(id, handle.firstExecutionRunId).describe();
      assert.equal(old.status.name, 'TERMINATED');
      const now = await c.client.workflow.getHandle(id).describe();
      assert.notEqual(now.runId, handle.firstExecutionRunId);
      assert.equal(now.status.name, 'RUNNING');
      const status = await coordinatorStatus(c.client, cluster);
      assert.equal(status.plan.cluster, cluster, 'the new coordinator runs and answers with its plan');
    } finally {
      await c.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
    }
  });

  test('a coordinator on the queue from before queues named their cluster is reported stuck, not waited for', async () => {
    const cluster = 'old';
    const id = coordinatorWorkflowId(cluster);
    const config = { ...c.config, cluster, plan: { ...c.config.plan, cluster } };
    const handle = await c.client.workflow.start('coordinator', {
      workflowId: id,
      taskQueue: 'baton-coordinator',
      args: [{ plan: config.plan }],
    });
    try {
      await assert.rejects(ensureCoordinator(c.client, config), (err: unknown) => {
        assert.ok(err instanceof StuckCoordinatorError, String(err));
        assert.match(
          err.message,
          /^the coordinator of cluster old \(workflow baton-coordinator-old\) is stuck: it runs on task queue baton-coordinator, which no node polls: they poll baton-old-coordinator; /,
        );
        assert.ok(err.message.includes(`temporal workflow terminate --workflow-id ${id}`), err.message);
        return true;
      });
      assert.equal((await handle.describe()).status.name, 'RUNNING', 'reported, not touched');
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  test('a coordinator the nodes cannot replay, with a job running: named as such, not replaced, back once its build runs', async () => {
    const { config } = c;
    const { cluster } = config;
    const id = coordinatorWorkflowId(cluster);
    const handle = c.client.workflow.getHandle(id);
    await ensureCoordinator(c.client, config, { tickSeconds: 1 });
    const { jobId } = await requestBackup(c.client, cluster, DRILL_APP, 'test', true);
    const { runId } = await handle.describe();
    for (const n of config.plan.nodes) c.signal(n.name, 'SIGKILL');
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../replay/fixtures/coordinator-timer-added'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    });
    const connection = await NativeConnection.connect({ address: c.address });
    const worker = await Worker.create({
      connection,
      taskQueue: coordinatorQueue(cluster),
      workflowBundle,
      identity: 'unpatched@test',
    });
    await worker.runUntil(async () => {
      await waitFor('the unpatched worker to fail the coordinator twice', async () => {
        const d = await handle.describe();
        return (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 3;
      });
      await assert.rejects(requestBackup(c.client, cluster, DRILL_APP, 'test'), (err: unknown) => {
        assert.ok(err instanceof StuckCoordinatorError, String(err));
        assert.match(
          err.message,
          /is stuck: its workflow task fails on every try \(NON_DETERMINISTIC_ERROR: \[TMPRL1100\] Nondeterminism error: .*; try \d+, on unpatched@test\)/,
        );
        assert.ok(
          err.message.includes(`Do not terminate it, which would orphan its 1 running job(s) (${jobId})`),
          err.message,
        );
        assert.match(err.message, /run the nodes on the version of Baton that started it$/);
        assert.doesNotMatch(err.message, /temporal workflow terminate|\n/);
        assert.deepEqual(err.orphans, [jobId]);
        return true;
      });
      const replaced: StuckCoordinatorError[] = [];
      await assert.rejects(
        ensureCoordinator(c.client, config, { replaceStuck: (e) => replaced.push(e) }),
        (err: unknown) => err instanceof StuckCoordinatorError && err.orphans.includes(jobId),
      );
      assert.equal(replaced.length, 0, 'not replaced: it has a running job');
    });
    await connection.close();
    const d = await handle.describe();
    assert.equal(d.runId, runId, 'the same run, untouched');
    assert.equal(d.status.name, 'RUNNING');
    // the way out for unversioned nodes: run the code that started it
    for (const n of config.plan.nodes) c.restart(n.name);
    const status = await waitFor(
      'the coordinator to answer again on its own code',
      () => coordinatorStatus(c.client, cluster).catch(() => null),
      60_000,
    );
    assert.ok(
      status.running.some((j) => j.jobId === jobId) || status.recent.some((j) => j.jobId === jobId),
      'it still tracks the job',
    );
  });

  test('a node that dies while its reportJobEnd waits on the coordinator costs the job 15 s, not 3 min', async () => {
    const { config } = c;
    const { cluster } = config;
    const id = coordinatorWorkflowId(cluster);
    await ensureCoordinator(c.client, config, { tickSeconds: 1 });
    await waitFor(
      'the earlier tests’ jobs to end',
      async () => (await coordinatorStatus(c.client, cluster)).running.length === 0,
      120_000,
    );
    const { jobId } = await requestBackup(c.client, cluster, DRILL_APP, 'test', true);
    await waitFor('the backup running', async () => (await attemptsOf(c.catalog, jobId)).length > 0);
    // the job's end will wait on a coordinator that takes no update: its run is on a queue no node
    // polls (one whose task failed would refuse it after 6 s, and the activity signal instead)
    await c.client.workflow.getHandle(id).terminate('the test puts an unpolled coordinator in its place');
    await c.client.workflow.start('coordinator', {
      workflowId: id,
      taskQueue: 'baton-test-unpolled',
      args: [{ plan: config.plan }],
    });
    const job = c.client.workflow.getHandle(jobId);
    const reporting = async () =>
      (await job.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'reportJobEnd');
    const first = await waitFor(
      'reportJobEnd waiting on the coordinator',
      async () => {
        const a = await reporting();
        return a?.lastWorkerIdentity ? a : undefined;
      },
      120_000,
    );
    const holder = parseWorkerIdentity(first.lastWorkerIdentity ?? '')?.node ?? '';
    assert.ok(holder, `a node's worker holds it: ${first.lastWorkerIdentity}`);
    c.signal(holder, 'SIGKILL');
    const killedAt = Date.now();
    try {
      const retried = await waitFor(
        'reportJobEnd taken over by another node',
        async () => {
          const a = await reporting();
          const node = parseWorkerIdentity(a?.lastWorkerIdentity ?? '')?.node;
          return a && (a.attempt ?? 0) >= 2 && node && node !== holder ? { attempt: a.attempt, node } : undefined;
        },
        120_000,
        250,
      );
      const s = (Date.now() - killedAt) / 1000;
      console.log(`reportJobEnd on ${holder} killed; attempt ${retried.attempt} on ${retried.node} after ${s} s`);
      // the 15 s heartbeat timeout, the retry's 1 s backoff, a poll: well under the 3 min before
      assert.ok(s < 30, `taken over ${s} s after the kill`);
    } finally {
      await c.client.workflow
        .getHandle(id)
        .terminate('test over')
        .catch(() => undefined);
      c.restart(holder);
    }
  });
});
