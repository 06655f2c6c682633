/** `baton schedules`: each app's schedule, its next runs, and the node that will run them. */
import { Command } from 'commander';
import { ScheduleNotFoundError } from '@temporalio/client';
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
  paused: boolean;
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
          let nextRuns: string[] = [];
          let lastRun: string | null = null;
          let paused = false;
          try {
            const d = await client.schedule.getHandle(scheduleId(config.cluster, app.name)).describe();
            nextRuns = d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString());
            lastRun = d.info.recentActions.at(-1)?.takenAt.toISOString() ?? null;
            paused = d.state.paused;
          } catch (err) {
            if (!(err instanceof ScheduleNotFoundError)) throw err;
          }
          rows.push({
            app: app.name,
            schedule: app.schedule.cron ? `cron ${app.schedule.cron}` : `every ${app.schedule.everySeconds}s`,
            node: status.hosts[app.name] ?? null,
            nextRuns,
            lastRun,
            paused,
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
              r.lastRun ?? '',
            ]),
          ),
        );
      } finally {
        await close();
      }
    });
}
