/**
 * Temporal Schedules for apps with a `schedule`, and what a scheduled run does. Activities because
 * they use the Temporal client: the coordinator keeps the schedules in step with its plan through
 * syncSchedules, and each scheduled run asks the coordinator for a backup (so it goes to the app's
 * current host) and waits for it, so the schedule's overlap policy (skip) sees a run in progress,
 * and the run ends as its backup did.
 */
import { Context } from '@temporalio/activity';
import { ScheduleOverlapPolicy, WorkflowFailedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { sendStartBackup } from '../client/coordinator-update';
import { isHandingOver } from '../client/draining';
import { type StartedBackup } from '../model/backup';
import { coordinatorQueue, coordinatorWorkflowId, schedulePrefix, scheduleId, scheduledRunId } from '../model/names';
import type { AppSchedule, AppSpec, ClusterPlan } from '../model/plan';
import { heartbeatEvery } from './heartbeat-timer';
import { syncRestoreTestSchedules, type RestoreTestScheduleSync } from './restore-test-schedules';
import {
  createOrReplace,
  deleteUnwanted,
  fingerprintOf,
  scheduleSpec,
  type ScheduleSync as Sync,
} from './schedule-sync';

export interface ScheduledRunInput {
  cluster: string;
  app: string;
}

/** How a backup job ended, as a scheduled run sees it. */
export interface JobEnd {
  state: 'succeeded' | 'failed';
  /** The job's failure in one line; null when it succeeded. */
  error: string | null;
}

/**
 * The coordinator's answer in a refusal of a scheduled run's request (a backup already running, the
 * app placed nowhere): the run ends skipped with it. Null for anything else, which the activity
 * throws and its retries send again under the same update ID: among them a coordinator still
 * handing over to its next run once the request's windows ran out, which a burst of every app's
 * schedule meets (bench/scale's burst from the worker processes: 273 to 330 of 1,000 requests
 * ended so), and which a run took for an answer before, skipping its backup.
 */
export function scheduledRefusal(err: unknown): string | null {
  if (!(err instanceof WorkflowUpdateFailedError) || isHandingOver(err)) return null;
  return err.cause?.message ?? err.message;
}

export interface ScheduleSync extends Sync {
  /** The restore-test schedules (restore-test-schedules.ts); absent in results from before them. */
  restoreTests?: RestoreTestScheduleSync;
}

/** An app the plan schedules. */
type Scheduled = AppSpec & { schedule: AppSchedule };

/**
 * What the schedule should be, as a string: a changed plan gives a changed fingerprint, and so
 * does a changed queue (a schedule made before queues named their cluster is replaced) or offset.
 */
function fingerprint(cluster: string, app: Scheduled): string {
  return JSON.stringify({
    ...fingerprintOf(scheduleId(cluster, app.name), app.schedule),
    queue: coordinatorQueue(cluster),
  });
}

export function createScheduleActivities(deps: { client: Client }) {
  const { client } = deps;
  return {
    /** Makes the cluster's backup and restore-test schedules match the plan: creates, replaces and deletes as needed. */
    async syncSchedules(plan: ClusterPlan): Promise<ScheduleSync> {
      const result: ScheduleSync = { created: [], updated: [], deleted: [] };
      const wanted = plan.apps.filter((a): a is Scheduled => Boolean(a.schedule));
      for (const app of wanted) {
        const create = () => createSchedule(client, plan.cluster, app);
        const id = scheduleId(plan.cluster, app.name);
        await createOrReplace(client, id, app.name, fingerprint(plan.cluster, app), create, result);
      }
      const names = wanted.map((a) => a.name);
      result.deleted = await deleteUnwanted(client, plan.cluster, schedulePrefix(plan.cluster), names, 'mine');
      result.restoreTests = await syncRestoreTestSchedules(client, plan);
      return result;
    },

    // runs that scheduled these here, before the waits queue, still find them here
    ...createScheduledRunActivities(deps),
  };
}

/**
 * What a scheduled run does, on the waits queue (names.ts waitQueue): ask the coordinator for the
 * backup, then wait for the job's end. Each holds its activity slot while it waits on the
 * coordinator or the job.
 */
export function createScheduledRunActivities(deps: { client: Client }) {
  const { client } = deps;
  return {
    /** Asks the coordinator for a backup of the app; a refusal (already running, not placed) is returned, not thrown. */
    async requestScheduledBackup(input: ScheduledRunInput): Promise<StartedBackup | { refused: string }> {
      const run = Context.current().info.workflowExecution;
      const requestedBy = `schedule:${run?.workflowId}`;
      try {
        return await sendStartBackup(
          client,
          coordinatorWorkflowId(input.cluster),
          { app: input.app, requestedBy },
          { updateId: run && `schedule:${run.workflowId}:${run.runId}`, signal: Context.current().cancellationSignal },
        );
      } catch (err) {
        const refused = scheduledRefusal(err);
        if (refused !== null) return { refused };
        throw err;
      }
    },

    /** Waits for a job to end, heartbeating, and returns its state (runs started before awaitJobEnd). */
    async awaitJob(jobId: string): Promise<string> {
      return (await awaitJobEnd(client, jobId)).state;
    },

    /** Waits for a job to end, heartbeating, and returns how it ended and why. */
    async awaitJobEnd(jobId: string): Promise<JobEnd> {
      return awaitJobEnd(client, jobId);
    },
  };
}

export type ScheduledRunActivities = ReturnType<typeof createScheduledRunActivities>;

async function awaitJobEnd(client: Client, jobId: string): Promise<JobEnd> {
  const ctx = Context.current();
  const stop = heartbeatEvery(5000);
  try {
    await client.workflow.getHandle(jobId).result();
    return { state: 'succeeded', error: null };
  } catch (err) {
    if (ctx.cancellationSignal.aborted) throw err;
    const error = err instanceof WorkflowFailedError ? (err.cause?.message ?? err.message) : String(err);
    return { state: 'failed', error };
  } finally {
    stop();
  }
}

async function createSchedule(client: Client, cluster: string, app: Scheduled): Promise<void> {
  await client.schedule.create({
    scheduleId: scheduleId(cluster, app.name),
    spec: scheduleSpec(scheduleId(cluster, app.name), app.schedule),
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledBackup',
      workflowId: scheduledRunId(cluster, app.name),
      taskQueue: coordinatorQueue(cluster),
      args: [{ cluster, app: app.name } satisfies ScheduledRunInput],
      staticSummary: `Scheduled backup of app ${app.name} (cluster ${cluster})`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${app.schedule.catchupWindowSeconds}s`,
    },
    memo: { batonSchedule: fingerprint(cluster, app), batonCluster: cluster },
  });
}

export type ScheduleActivities = ReturnType<typeof createScheduleActivities>;
