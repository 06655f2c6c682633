/**
 * Two clusters on one Temporal server, with the same node names (node-1..3), the same app and the
 * same drive names: each cluster's backup runs on its own node processes, writes its own drive and
 * is recorded in its own catalog, and no workflow or activity task of one is taken by the other's
 * workers (every task's worker identity is one of its own cluster's processes).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { getJob, jobEvents } from '../../src/catalog/jobs';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { coordinatorQueue, coordinatorWorkflowId, nodeQueue } from '../../src/model/names';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/** The worker identity (`node@host:pid`) of every workflow and activity task the workflow's history records. */
async function taskIdentities(c: LocalCluster, workflowId: string): Promise<string[]> {
  const history = await c.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e: HistoryEvent) => {
    const identity = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
    return identity ? [identity] : [];
  });
}

/** The identity prefixes (`node@host:pid` without the host) of a cluster's node processes. */
function ownPids(c: LocalCluster): Set<string> {
  return new Set(c.nodes.map((n) => `${n.node}:${n.child.pid}`));
}

function assertOwnTasks(c: LocalCluster, identities: string[], what: string): void {
  assert.ok(identities.length > 0, `no tasks in ${what}`);
  const own = ownPids(c);
  for (const identity of identities) {
    const [node, rest] = identity.split('@');
    const pid = rest.slice(rest.lastIndexOf(':') + 1);
    assert.ok(own.has(`${node}:${pid}`), `${what}: task taken by ${identity}, not a process of ${c.config.cluster}`);
  }
}

const runsOnce = { timeout: 240_000, skip: secondNodeSkip() };

describe('two clusters with the same node names on one Temporal server', runsOnce, () => {
  let east: LocalCluster;
  let west: LocalCluster;

  before(async () => {
    east = await startLocalCluster({ cluster: 'east' });
    west = await startLocalCluster({ cluster: 'west', temporal: east.address });
    await Promise.all([
      ensureCoordinator(east.client, east.config, { tickSeconds: 1 }),
      ensureCoordinator(west.client, west.config, { tickSeconds: 1 }),
    ]);
  });
  after(async () => {
    // the server belongs to east: west stops first
    await west?.stop();
    await east?.stop();
  });

  test('each cluster’s nodes poll queues named after it', () => {
    for (const c of [east, west]) {
      const log = readFileSync(c.nodes.find((n) => n.node === DEMO_APP_HOST)?.logFile ?? '', 'utf8');
      assert.ok(log.includes(coordinatorQueue(c.config.cluster)), log);
      assert.ok(log.includes(nodeQueue(c.config.cluster, DEMO_APP_HOST)), log);
    }
  });

  test('each backs its app up on its own node process, to its own drive, recorded in its own catalog', async () => {
    const [a, b] = await Promise.all([
      requestBackup(east.client, 'east', DEMO_APP, 'test'),
      requestBackup(west.client, 'west', DEMO_APP, 'test'),
    ]);
    assert.match(a.jobId, new RegExp(`^baton-backup-east-${DEMO_APP}-`));
    assert.match(b.jobId, new RegExp(`^baton-backup-west-${DEMO_APP}-`));
    const [ra, rb] = await Promise.all([
      followJob(east.client, a.jobId, () => undefined, 500),
      followJob(west.client, b.jobId, () => undefined, 500),
    ]);
    for (const [c, started, result] of [
      [east, a, ra],
      [west, b, rb],
    ] as const) {
      assert.equal(result.state, 'succeeded', `${c.config.cluster}: ${result.error}`);
      assert.equal(result.node, DEMO_APP_HOST);
      assert.equal(result.outcome?.drive, join(c.dir, 'drives', `${DEMO_APP_HOST}-disk`));
      const row = await getJob(c.catalog, started.jobId);
      assert.equal(row?.state, 'succeeded');
      assert.equal(row?.node, DEMO_APP_HOST);
      assert.deepEqual(
        (await jobEvents(c.catalog, started.jobId)).map((e) => e.kind),
        // the first backup to the demo's drive initialises it (initOnFirstBackup), and says so; the
        // attempt records its commit before it returns (docs/restart-policy.md: a committed attempt wins)
        ['job-started', 'attempt-started', 'drive-initialised', 'attempt-committed', 'attempt-ended', 'job-succeeded'],
      );

      const history = await c.client.workflow.getHandle(started.jobId).fetchHistory();
      const scheduled = (history.events ?? []).find(
        (e: HistoryEvent) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backupAttempt',
      );
      assert.equal(
        scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name,
        nodeQueue(c.config.cluster, DEMO_APP_HOST),
      );
      const node2 = c.nodes.find((n) => n.node === DEMO_APP_HOST);
      const attemptBy = (history.events ?? []).find(
        (e: HistoryEvent) =>
          e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === String(scheduled?.eventId),
      )?.activityTaskStartedEventAttributes?.identity;
      assert.ok(
        attemptBy?.startsWith(`${DEMO_APP_HOST}@`) && attemptBy.endsWith(`:${node2?.child.pid}`),
        attemptBy ?? '',
      );
    }
    // each catalog knows only its own cluster's job
    assert.equal(await getJob(east.catalog, b.jobId), undefined);
    assert.equal(await getJob(west.catalog, a.jobId), undefined);

    for (const [c, jobId] of [
      [east, a.jobId],
      [west, b.jobId],
    ] as const) {
      assertOwnTasks(c, await taskIdentities(c, jobId), jobId);
      const coordinator = coordinatorWorkflowId(c.config.cluster);
      assertOwnTasks(c, await taskIdentities(c, coordinator), coordinator);
    }
  });
});
