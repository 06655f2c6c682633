/** `baton schedules`: each app's schedule, its next runs, and the node that will run them. */
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import type { ScheduleRow } from '../client/schedules-client';
import { formatTable } from './table';

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
      const baton = await BatonClient.connect({ config: opts.config });
      const config = baton.config;
      try {
        const rows = await baton.schedules();
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
        await baton.close();
      }
    });
}
