/** `baton schedules`: each app's schedule, its next runs, and the node that will run them. */
import { Command } from 'commander';
import { ScheduleNotFoundError, WorkflowFailedError, type Client, type ScheduleDescription } from '@temporalio/client';
import { connect } from '../client/connect';
import { coordinatorStatus } from '../client/coordinator-client';
import { loadConfig } from '../config/load';
import { scheduleId } from '../model/names';
import { formatTable } from './table';

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

/** `2026-11-27T01:00:00.000Z failed: <why>` for the table. */
function lastRunText(r: ScheduleRow): string {
  if (!r.lastRun) return '';
  const error = r.lastRunError ? `: ${r.lastRunError}` : '';
  return `${r.lastRun} ${r.lastRunState ?? ''}${error}`.trim();
}

export function schedulesCommand(): Command {
  return new Command('schedules')
    .description('list app schedules, their next runs, and which node will run them')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config);
      const { client, close } = await connect(config);
      try {
        const status = await coordinatorStatus(client, config.cluster);
        const rows: ScheduleRow[] = [];
        for (const app of status.plan.apps) {
          if (!app.schedule) continue;
          rows.push({
            app: app.name,
            schedule: app.schedule.cron ? `cron ${app.schedule.cron}` : `every ${app.schedule.everySeconds}s`,
            node: status.hosts[app.name] ?? null,
            ...(await scheduleState(client, config.cluster, app.name)),
          });
        }
        if (opts.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log(
            `no app of cluster ${config.cluster} has a schedule; add one under apps[].schedule in ${config.file}`,
          );
          return;
        }
        console.log(
          formatTable(
            ['APP', 'SCHEDULE', 'NEXT RUN ON', 'NEXT RUNS', 'LAST RUN'],
            rows.map((r) => [
              r.app,
              r.schedule + (r.paused ? ' (paused)' : ''),
              r.node ?? '(not running)',
              r.nextRuns.join(', ') || '(not created yet)',
              lastRunText(r),
            ]),
          ),
        );
      } finally {
        await close();
      }
    });
}
