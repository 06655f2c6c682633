/**
 * The Temporal Schedules of the apps' restore tests, kept in step with the plan beside the backup
 * schedules (schedule-activities.ts calls this from syncSchedules): one per app with a
 * `restoreTest`, starting the `restoreTest` workflow on the coordinator queue, which finds the
 * app's host itself. A schedule whose memo fingerprint differs from the plan's is replaced.
 */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { createOrReplace, deleteUnwanted, fingerprintOf, scheduleSpec, type ScheduleSync } from './schedule-sync';
import {
  coordinatorQueue,
  restoreTestScheduleId,
  restoreTestSchedulePrefix,
  scheduledRestoreTestId,
} from '../model/names';
import type { AppSpec, ClusterPlan, RestoreTestSpec } from '../model/plan';
import { describeSample, restoreTestSettings, type RestoreTestInput } from '../model/restore-test';

/** What a pass over the restore-test schedules did, by app. */
export type RestoreTestScheduleSync = ScheduleSync;

type Tested = AppSpec & { restoreTest: RestoreTestSpec };

/** What a scheduled run is started with: the plan's restoreTest and the node settings it needs. */
export function restoreTestInputOf(plan: ClusterPlan, app: Tested, requestedBy: string): RestoreTestInput {
  return {
    cluster: plan.cluster,
    app: app.name,
    sample: app.restoreTest.sample,
    scratch: app.restoreTest.scratch,
    requestedBy,
    settings: restoreTestSettings(plan.jobs),
  };
}

function fingerprint(plan: ClusterPlan, app: Tested): string {
  return JSON.stringify({
    ...restoreTestInputOf(plan, app, ''),
    schedule: fingerprintOf(restoreTestScheduleId(plan.cluster, app.name), app.restoreTest.schedule),
    queue: coordinatorQueue(plan.cluster),
  });
}

async function create(client: Client, plan: ClusterPlan, app: Tested): Promise<void> {
  const id = restoreTestScheduleId(plan.cluster, app.name);
  await client.schedule.create({
    scheduleId: id,
    spec: scheduleSpec(id, app.restoreTest.schedule),
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

/** Makes the cluster's restore-test schedules match the plan: creates, replaces and deletes as needed. */
export async function syncRestoreTestSchedules(client: Client, plan: ClusterPlan): Promise<RestoreTestScheduleSync> {
  const result: RestoreTestScheduleSync = { created: [], updated: [], deleted: [] };
  const wanted = plan.apps.filter((a): a is Tested => !!a.restoreTest);
  for (const app of wanted) {
    const id = restoreTestScheduleId(plan.cluster, app.name);
    await createOrReplace(client, id, app.name, fingerprint(plan, app), () => create(client, plan, app), result);
  }
  const names = wanted.map((a) => a.name);
  result.deleted = await deleteUnwanted(
    client,
    plan.cluster,
    restoreTestSchedulePrefix(plan.cluster),
    names,
    'not mine',
  );
  return result;
}
