/**
 * A scheduled run waits for its job on the waits queue (names.ts waitQueue), in an activity one
 * node's worker holds for as long as the backup runs. When that node dies, the wait is taken up by
 * another node after its heartbeat timeout (30 s, scheduled-backup.ts), and the run still ends as
 * its backup did: the schedule neither loses the run nor starts a second backup. The node is
 * killed with SIGKILL and, as the cluster service would, marked offline with its apps moved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { recentJobs } from '../../src/catalog/jobs';
import { DRILL_APP, DRILL_APP_HOST } from '../../src/demo/demo-files';
import { changeMap, otherOnlineNode } from '../../src/demo/cluster-control';
import { coordinatorQueue, parseWorkerIdentity } from '../../src/model/names';
import type { ScheduledRunInput } from '../../src/activities/schedule-activities';
import type { ScheduledRunResult, scheduledBackup } from '../../src/workflows/scheduled-backup';
import { waitFor } from '../../src/util/wait';
import { nodesEnsuredCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The node whose worker ran the attempt of `activity` that completed, and that attempt's number. */
function completedAttempt(events: HistoryEvent[], activity: string): { node: string; attempt: number } | null {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
  const started = events.find(
    (e) =>
      e.activityTaskStartedEventAttributes &&
      String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled?.eventId),
  )?.activityTaskStartedEventAttributes;
  const node = parseWorkerIdentity(started?.identity ?? '')?.node;
  return node && started ? { node, attempt: started.attempt ?? 0 } : null;
}

describe(
  'a scheduled run whose wait was held by a node that died',
  { timeout: 240_000, skip: secondNodeSkip() },
  () => {
    let c: LocalCluster;
    before(async () => {
      c = await startLocalCluster();
      await nodesEnsuredCoordinator(c);
    });
    after(async () => c?.stop());

    test('ends with its backup, the wait taken up by another node', async () => {
      const { cluster } = c.config;
      // what the app's schedule starts (schedule-activities.ts createSchedule), started by hand
      const run = await c.client.workflow.start<typeof scheduledBackup>('scheduledBackup', {
        workflowId: `baton-test-scheduled-${Date.now()}`,
        taskQueue: coordinatorQueue(cluster),
        args: [{ cluster, app: DRILL_APP } satisfies ScheduledRunInput],
      });
      const waiting = await waitFor(
        'awaitJobEnd held by a node',
        async () => {
          const pending = (await run.describe()).raw.pendingActivities ?? [];
          const a = pending.find((p) => p.activityType?.name === 'awaitJobEnd');
          return a?.lastWorkerIdentity ? a : undefined;
        },
        60_000,
        100,
      );
      const holder = parseWorkerIdentity(waiting.lastWorkerIdentity ?? '')?.node ?? '';
      assert.ok(holder, `a node's worker holds the wait: ${waiting.lastWorkerIdentity}`);
      const job = await waitFor('the run’s job in the catalog', async () =>
        (await recentJobs(c.catalog, 20)).find((j) => j.requested_by === `schedule:${run.workflowId}`),
      );
      assert.equal(job.state, 'running', 'the backup still runs as the node dies');

      c.signal(holder, 'SIGKILL');
      changeMap(c.config, (map) => {
        map.nodes[holder] = 'offline';
        if (map.apps[DRILL_APP] === holder) map.apps[DRILL_APP] = otherOnlineNode(map, [holder]);
      });
      try {
        const result = await run.result();
        assert.deepEqual(
          { jobId: result.jobId, state: result.state },
          { jobId: job.id, state: 'succeeded' },
          `the run ended with its backup: ${JSON.stringify(result satisfies ScheduledRunResult)}`,
        );
        const events = (await run.fetchHistory()).events ?? [];
        const waited = completedAttempt(events, 'awaitJobEnd');
        assert.ok(
          waited && waited.attempt >= 2 && waited.node !== holder,
          `the wait ended on another node: ${JSON.stringify(waited)}`,
        );
        console.log(
          `awaitJobEnd on ${holder} (the job on ${job.node}) killed; it ended on ${waited.node}, attempt ${waited.attempt}`,
        );
        const requests = events.filter(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'requestScheduledBackup',
        );
        assert.equal(requests.length, 1, 'asked for one backup');
        const jobs = (await recentJobs(c.catalog, 20)).filter((j) => j.requested_by === `schedule:${run.workflowId}`);
        assert.deepEqual(
          jobs.map((j) => j.id),
          [job.id],
          'no second backup',
        );
      } finally {
        c.restart(holder);
        changeMap(c.config, (map) => {
          map.nodes[holder] = 'online';
          map.apps[DRILL_APP] = DRILL_APP_HOST;
        });
      }
    });
  },
);
