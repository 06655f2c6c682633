/**
 * The Temporal Schedules of the apps' restore tests, kept in step with the plan beside the backup
 * schedules (schedule-activities.ts calls this from syncSchedules): one per app with a
 * `restoreTest`, starting the `restoreTest` workflow on the coordinator queue, which finds the
 * app's host itself. A schedule whose memo fingerprint differs from the plan's is replaced.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import {
  coordinatorQueue,
  restoreTestScheduleId,
  restoreTestSchedulePrefix,
  scheduledRestoreTestId,
} from '../model/names';
import type { AppSchedule, AppSpec, ClusterPlan, RestoreTestSpec } from '../model/plan';
import { describeSample, type RestoreTestInput } from '../model/restore-test';

export interface RestoreTestScheduleSync {
  created: string[];
  updated: string[];
  deleted: string[];
}

type Tested = AppSpec & { restoreTest: RestoreTestSpec };

function specOf(s: AppSchedule): ScheduleSpec {
  if (s.cron) return { cronExpressions: [s.cron] };
  return { intervals: [{ every: `${s.everySeconds ?? 86400}s` }] };
}

/** What a scheduled run is started with: the plan's restoreTest and the node settings it needs. */
export function restoreTestInputOf(plan: ClusterPlan, app: Tested, requestedBy: string): RestoreTestInput {
  return {
    cluster: plan.cluster,
    app: app.name,
    sample: app.restoreTest.sample,
    scratch: app.restoreTest.scratch,
    requestedBy,
    settings: {
      scheduleToStartTimeoutSeconds: plan.jobs.scheduleToStartTimeoutSeconds,
      heartbeatTimeoutSeconds: plan.jobs.heartbeatTimeoutSeconds,
    },
  };
}

function fingerprint(plan: ClusterPlan, app: Tested): string {
  return JSON.stringify({
    ...restoreTestInputOf(plan, app, ''),
    schedule: app.restoreTest.schedule,
    queue: coordinatorQueue(plan.cluster),
  });
}

async function create(client: Client, plan: ClusterPlan, app: Tested): Promise<void> {
  const id = restoreTestScheduleId(plan.cluster, app.name);
  await client.schedule.create({
    scheduleId: id,
    spec: specOf(app.restoreTest.schedule),
    action: {
      type: 'startWorkflow',
      workflowType: 'restoreTest',
      workflowId: scheduledRestoreTestId(plan.cluster, app.name),
      taskQueue: coordinatorQueue(plan.cluster),
      args: [restoreTestInputOf(plan, app, `schedule:${id}`)],
      staticSummary: `Restore test of app ${app.name}, ${describeSample(app.restoreTest.sample)} (cluster ${plan.cluster})`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: `${app.restoreTest.schedule.catchupWindowSeconds}s`,
    },
    memo: { batonSchedule: fingerprint(plan, app), batonCluster: plan.cluster },
  });
}

async function syncOne(client: Client, plan: ClusterPlan, app: Tested, result: RestoreTestScheduleSync): Promise<void> {
  const handle = client.schedule.getHandle(restoreTestScheduleId(plan.cluster, app.name));
  let existing: string | undefined;
  try {
    const memo = (await handle.describe()).memo?.batonSchedule;
    existing = typeof memo === 'string' ? memo : '';
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (existing === undefined) {
    await create(client, plan, app);
    result.created.push(app.name);
  } else if (existing !== fingerprint(plan, app)) {
    await handle.delete();
    await create(client, plan, app);
    result.updated.push(app.name);
  }
}

/** Makes the cluster's restore-test schedules match the plan: creates, replaces and deletes as needed. */
export async function syncRestoreTestSchedules(client: Client, plan: ClusterPlan): Promise<RestoreTestScheduleSync> {
  const result: RestoreTestScheduleSync = { created: [], updated: [], deleted: [] };
  const wanted = plan.apps.filter((a): a is Tested => !!a.restoreTest);
  for (const app of wanted) await syncOne(client, plan, app, result);
  const prefix = restoreTestSchedulePrefix(plan.cluster);
  for await (const summary of client.schedule.list()) {
    if (!summary.scheduleId.startsWith(prefix) || summary.memo?.batonCluster !== plan.cluster) continue;
    const app = summary.scheduleId.slice(prefix.length);
    if (wanted.some((a) => a.name === app)) continue;
    try {
      await client.schedule.getHandle(summary.scheduleId).delete();
      result.deleted.push(app);
    } catch (err) {
      // already gone: nothing left to delete
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
  return result;
}
