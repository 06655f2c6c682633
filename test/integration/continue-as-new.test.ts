/**
 * The coordinator continues as new when its run reaches its own bound of events (lowered to a few
 * dozen here; the dev server suggests continue-as-new only at 1000), carries its whole state over,
 * and does not kill the jobs it started. Short runs keep the replay a node does when it takes the
 * coordinator over short (COORDINATOR_SHORT_RUNS, docs/drills.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createScheduledRunActivities, type ScheduledRunInput } from '../../src/activities/schedule-activities';
import { coordinatorStatus, followJob, requestBackup } from '../../src/client/coordinator-client';
import { sendCoordinatorUpdate, sendStartBackup } from '../../src/client/coordinator-update';
import { DRILL_APP } from '../../src/demo/demo-files';
import type { StartedBackup } from '../../src/model/backup';
import { coordinatorQueue, coordinatorWorkflowId, scheduledRunId } from '../../src/model/names';
import { COORDINATOR_DRAINING, startBackupUpdate } from '../../src/workflows/messages';
import { waitFor } from '../../src/util/wait';
import { replaceCoordinator, startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

/**
 * The coordinator's bound here: a run of a few ticks (its first task writes some 30 events, two for
 * each patch; a bound of 40 left a run a task or two in which to take the test's request).
 */
const RUN_EVENTS = 60;
/** A bound that leaves a run some 60 events (several 1 s ticks) after its first task. */
const ROOMY_RUN_EVENTS = 100;

const refusedAsDraining = (err: unknown) => err instanceof ApplicationFailure && err.type === COORDINATOR_DRAINING;

describe('coordinator continue-as-new', { timeout: 180_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  before(async () => {
    c = await startLocalCluster();
  });
  after(async () => c?.stop());

  test('state and running jobs survive continue-as-new', async () => {
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    // the nodes start it with the default bound (COORDINATOR_RUN_EVENTS): start one with a lower one
    await replaceCoordinator(
      c,
      { tickSeconds: 1, runEvents: RUN_EVENTS },
      'the test starts one with a lower bound of events a run',
    );
    const firstRun = (await handle.describe()).runId;
    const started = await requestBackup(c.client, c.config.cluster, DRILL_APP, 'test');
    let status = await coordinatorStatus(c.client, c.config.cluster);
    assert.deepEqual(
      status.running.map((j) => j.jobId),
      [started.jobId],
    );

    const run = await waitFor('the coordinator to continue as new', async () => {
      const current = (await handle.describe()).runId;
      return current !== firstRun && current;
    });
    assert.notEqual(run, firstRun);
    const old = await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster), firstRun).describe();
    assert.equal(old.status.name, 'CONTINUED_AS_NEW');
    // its own bound, not the server's suggestion (1000 events, FROZEN_NODE_DYNAMIC_CONFIG)
    assert.ok(old.historyLength >= RUN_EVENTS, `the first run ended at ${old.historyLength} events`);
    assert.ok(old.historyLength < 2 * RUN_EVENTS, `the first run ended at ${old.historyLength} events`);

    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', 'the job outlived the run that started it');
    status = await waitFor(
      'the new run to hear the job finish',
      async () => {
        const now = await coordinatorStatus(c.client, c.config.cluster);
        return now.recent.some((j) => j.jobId === started.jobId) && now;
      },
      30_000,
    );
    assert.equal(status.running.length, 0);
    assert.equal(status.recent[0]?.jobId, started.jobId, 'the new run heard the job finish');
    assert.equal(status.plan.apps.length, 2, 'the plan carried over');
    assert.ok(status.host, 'the host carried over');
  });

  // What sendStartBackup (src/client/coordinator-update.ts) relies on: a run answers for the
  // updates it took even after it continued as new, and refuses new ones as closed; the current
  // run, where the SDK's executeUpdate polls, knows no update of the run before.
  test('a backup request taken by one run is answered by that run after the coordinator continued as new', async () => {
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    // A run of RUN_EVENTS is due for its next almost as it starts (its first task alone writes two
    // events for each of the coordinator's patches, some 30), and refuses requests from then on: a
    // request had to land in a window of a task or two, which CI's loaded machine missed ten times
    // in a row. Here the runs have room for a few ticks of requests before they are due.
    await replaceCoordinator(
      c,
      { tickSeconds: 1, runEvents: ROOMY_RUN_EVENTS },
      'the test starts one whose runs take requests for a few ticks',
    );
    // A refusal as "handing over" (the validator, no event) says nothing of what this test is
    // about: ask again then, on the next run.
    let taken: { update: WorkflowUpdateHandle<StartedBackup>; started: StartedBackup } | undefined;
    for (let tries = 0; !taken; tries++) {
      assert.ok(tries < 10, 'ten requests in a row reached a run already handing over');
      if (tries > 0) {
        const before = (await handle.describe()).runId;
        await waitFor('a new run of the coordinator', async () => (await handle.describe()).runId !== before);
      }
      const update = await handle.startUpdate(startBackupUpdate, {
        args: [{ app: DRILL_APP, requestedBy: 'test' }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await waitFor(
        'the coordinator to continue as new',
        async () => (await handle.describe()).runId !== update.workflowRunId,
      );
      await assert.rejects(
        handle.getUpdateHandle(update.updateId).result(),
        (err: Error) => /not found/i.test(err.message),
        'the current run does not know the update',
      );
      try {
        taken = { update, started: await update.result() };
      } catch (err) {
        if (!(err instanceof WorkflowUpdateFailedError && refusedAsDraining(err.cause))) throw err;
      }
    }
    const { update, started } = taken;
    assert.match(started.jobId, /^baton-backup-/);
    const closedRun = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster), update.workflowRunId);
    const again = (updateId: string) =>
      closedRun.startUpdate(startBackupUpdate, {
        args: [{ app: DRILL_APP, requestedBy: 'test' }],
        updateId,
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
    assert.deepEqual(await (await again(update.updateId)).result(), started, 'the same request: the same answer');
    await assert.rejects(again('a-new-request'), WorkflowNotFoundError, 'a new request: the run is closed');
    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
  });

  test('a run continued as new carries its plan once, in its state; a coordinator started with neither fails saying so', async () => {
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster));
    const { runId } = await handle.describe();
    await waitFor('the coordinator to continue as new', async () => (await handle.describe()).runId !== runId);
    const events = (await c.client.workflow.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
    const carried = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads?.[0];
    assert.ok(carried, 'the run continued as new');
    const input = defaultPayloadConverter.fromPayload<{ plan?: unknown; state: { plan: unknown } }>(carried);
    assert.equal(input.plan, undefined, 'no second copy of the plan');
    assert.deepEqual(input.state.plan, (await coordinatorStatus(c.client, c.config.cluster)).plan);

    const bare = c.client.workflow.execute('coordinator', {
      workflowId: `baton-test-coordinator-without-plan-${Date.now()}`,
      taskQueue: coordinatorQueue(c.config.cluster),
      args: [{}],
    });
    await assert.rejects(bare, (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.match(err.cause?.message ?? '', /started without a plan; start it with `baton apply`/);
      return true;
    });
  });

  // COORDINATOR_ANSWERS_REPEATS: a scheduled run's request activity, retried under its update ID
  // (its try timed out after the answer), reaches a later run, which knows the request.
  test('a scheduled run’s request retried in later runs gets its job again, never a second backup', async () => {
    const { cluster } = c.config;
    const handle = c.client.workflow.getHandle(coordinatorWorkflowId(cluster));
    await replaceCoordinator(
      c,
      { tickSeconds: 1, runEvents: ROOMY_RUN_EVENTS },
      'the test starts one whose runs take requests for a few ticks',
    );
    const activities = createScheduledRunActivities({ client: c.client });
    const run = { workflowId: `${scheduledRunId(cluster, DRILL_APP)}-${Date.now()}`, runId: 'run-1' };
    // the activity's update ID is its run's: the same for every try
    type Answer = Awaited<ReturnType<typeof activities.requestScheduledBackup>>;
    const ask = (workflowExecution = run): Promise<Answer> =>
      new MockActivityEnvironment({ workflowExecution }).run(
        (input: ScheduledRunInput) => activities.requestScheduledBackup(input),
        { cluster, app: DRILL_APP },
      );
    const started = await ask();
    if (!('jobId' in started)) throw new Error(`the first try was refused: ${started.refused}`);
    await nextRun(handle);
    // its job may still run or have ended by now (a drill-db backup after the first takes seconds)
    assert.deepEqual(await ask(), started, 'asked again in a later run: that job, not "already running"');

    assert.equal((await followJob(c.client, started.jobId, () => undefined, 500)).state, 'succeeded');
    await waitFor('the coordinator to hear the job end', async () => {
      const status = await coordinatorStatus(c.client, cluster);
      return status.recent.some((j) => j.jobId === started.jobId);
    });
    await nextRun(handle);
    assert.deepEqual(await ask(), started, 'asked again after its job ended: that job, not a second backup');
    const status = await coordinatorStatus(c.client, cluster);
    assert.deepEqual(status.running, [], 'no backup started for the repeats');
    assert.ok(
      (status.answers ?? []).some(
        (a) => a.updateId === `schedule:${run.workflowId}:${run.runId}` && a.jobId === started.jobId,
      ),
      'the answer travelled in the carried state',
    );
  });

  test('a requester that never heard its answer asks again in a later run, gets the planned job and starts it', async () => {
    const workflowId = coordinatorWorkflowId(c.config.cluster);
    const handle = c.client.workflow.getHandle(workflowId);
    const updateId = `test-unheard-${Date.now()}`;
    // the first try: the coordinator plans the job for its requester, whose answer is lost (no start)
    const request = { app: DRILL_APP, requestedBy: 'test', startsJob: true };
    const first = await sendCoordinatorUpdate(c.client, workflowId, startBackupUpdate, request, { updateId });
    assert.ok(first.job, 'a job planned for its requester to start');
    await assert.rejects(c.client.workflow.getHandle(first.jobId).describe(), WorkflowNotFoundError, 'not started');
    await nextRun(handle);
    // the retry, as a scheduled run's activity makes it: sendStartBackup starts the job it is given
    const again = await sendStartBackup(c.client, workflowId, { app: DRILL_APP, requestedBy: 'test' }, { updateId });
    assert.deepEqual(again, { jobId: first.jobId, node: first.node, drive: first.drive });
    const result = await followJob(c.client, first.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded', 'started from the repeat’s answer');
  });
});

async function nextRun(handle: WorkflowHandle): Promise<void> {
  const before = (await handle.describe()).runId;
  await waitFor('a new run of the coordinator', async () => (await handle.describe()).runId !== before);
}
