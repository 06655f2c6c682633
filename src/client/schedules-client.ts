/**
 * Each app's schedule as code and `baton schedules` see it: its cadence, the node that will run
 * its next backup (where the app runs now), its next runs, and how its last run ended (a run whose
 * backup failed is failed, not a successful run).
 */
import { ScheduleNotFoundError, WorkflowFailedError, type Client, type ScheduleDescription } from '@temporalio/client';
import { scheduleId } from '../model/names';
import type { AppSchedule } from '../model/plan';
import { coordinatorStatus } from './coordinator-client';

export interface ScheduleRow {
  app: string;
  schedule: string;
  /** Where the app runs now, so where the next scheduled backup will run. */
  node: string | null;
  nextRuns: string[];
  lastRun: string | null;
  /** How the last run ended: succeeded, failed, skipped (no backup started), running, or Temporal's status. */
  lastRunState: string | null;
  /** Why the last run failed or was skipped. */
  lastRunError: string | null;
  paused: boolean;
}

type ScheduleState = Pick<ScheduleRow, 'nextRuns' | 'lastRun' | 'lastRunState' | 'lastRunError' | 'paused'>;

/** How the schedule's last run ended, from its workflow: a failed backup failed it. */
async function lastRunOf(
  client: Client,
  d: ScheduleDescription,
): Promise<Pick<ScheduleRow, 'lastRunState' | 'lastRunError'>> {
  const last = d.info.recentActions.at(-1);
  if (!last) return { lastRunState: null, lastRunError: null };
  const { workflowId, firstExecutionRunId } = last.action.workflow;
  const handle = client.workflow.getHandle(workflowId, firstExecutionRunId);
  const status = (await handle.describe()).status.name;
  if (status === 'RUNNING') return { lastRunState: 'running', lastRunError: null };
  try {
    const result = (await handle.result()) as { state?: string; reason?: string } | undefined;
    return { lastRunState: result?.state ?? 'succeeded', lastRunError: result?.reason ?? null };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const state = status === 'FAILED' ? 'failed' : status.toLowerCase();
    return { lastRunState: state, lastRunError: err.cause?.message ?? err.message };
  }
}

/** The schedule's next runs, its last run and how that ended; nothing yet when it is not created. */
async function scheduleState(client: Client, cluster: string, app: string): Promise<ScheduleState> {
  try {
    const d = await client.schedule.getHandle(scheduleId(cluster, app)).describe();
    return {
      nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      lastRun: d.info.recentActions.at(-1)?.takenAt.toISOString() ?? null,
      ...(await lastRunOf(client, d)),
      paused: d.state.paused,
    };
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    return { nextRuns: [], lastRun: null, lastRunState: null, lastRunError: null, paused: false };
  }
}

/** A schedule as `baton schedules` shows it: `cron 0 2 * * * within 1800s`, `every 3600s`. */
export function scheduleText(s: AppSchedule): string {
  if (!s.cron) return `every ${s.everySeconds}s`;
  return s.jitterSeconds ? `cron ${s.cron} within ${s.jitterSeconds}s` : `cron ${s.cron}`;
}

/** Every scheduled app of `cluster`, in the order of the coordinator's plan. */
export async function appSchedules(client: Client, cluster: string): Promise<ScheduleRow[]> {
  const status = await coordinatorStatus(client, cluster);
  const rows: ScheduleRow[] = [];
  for (const app of status.plan.apps) {
    if (!app.schedule) continue;
    rows.push({
      app: app.name,
      schedule: scheduleText(app.schedule),
      node: status.hosts[app.name] ?? null,
      ...(await scheduleState(client, cluster, app.name)),
    });
  }
  return rows;
}
