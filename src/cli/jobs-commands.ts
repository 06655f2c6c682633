/**
 * `baton jobs` and `baton job <id>`: the catalog's view of jobs, their attempts and their timeline,
 * through the client (catalog only: they work while Temporal is down); `baton job cancel <id>`
 * cancels one.
 */
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import { UserError } from '../model/errors';
import { attemptsOf } from '../catalog/attempts';
import { getJob, jobEvents } from '../catalog/jobs';
import { openCatalog, type Catalog } from '../catalog/open';
import { loadConfig } from '../config/load';
import type { JobState } from '../model/backup';
import { formatTable } from './table';
import { jobSummary } from '../client/job-summary';

const JOB_STATES: readonly JobState[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled'];

function jobState(v: string): JobState {
  const state = JOB_STATES.find((s) => s === v);
  if (!state) throw new UserError(`--state: "${v}" is not a job state; give one of ${JOB_STATES.join(', ')}`);
  return state;
}

async function withCatalog<T>(configFile: string | undefined, fn: (db: Catalog) => Promise<T>): Promise<T> {
  const config = loadConfig(configFile);
  const db = await openCatalog(config.catalogUrl);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

export async function jobReport(db: Catalog, id: string) {
  const job = await getJob(db, id);
  if (!job) {
    throw new UserError(`no job "${id}" in the catalog; list recent jobs with \`baton jobs\``);
  }
  const attempts = await attemptsOf(db, id);
  const events = await jobEvents(db, id);
  return {
    ...jobSummary(job),
    attempts: attempts.map((a) => ({
      number: a.number,
      node: a.node,
      drive: a.drive,
      epoch: a.epoch,
      startedAt: a.started_at,
      endedAt: a.ended_at,
      outcome: a.outcome,
      restart: a.restart_kind ? { kind: a.restart_kind, reason: a.restart_reason } : null,
    })),
    timeline: events.map((e) => ({ at: e.at, kind: e.kind, node: e.node, message: e.message })),
  };
}

export function jobsCommand(): Command {
  return new Command('jobs')
    .description('list recent jobs from the catalog')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--limit <n>', 'how many', '20')
    .option('--state <state>', 'only jobs in this state (pending, running, succeeded, failed, cancelled)', jobState)
    .option('--app <app>', "only this app's jobs")
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; limit: string; state?: JobState; app?: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UserError('--limit must be a positive whole number');
      const baton = await BatonClient.connect({ config: loadConfig(opts.config) });
      const jobs = await baton.jobs({ limit, state: opts.state, app: opts.app });
      await baton.close();
      if (opts.json) {
        console.log(JSON.stringify(jobs, null, 2));
        return;
      }
      console.log(
        formatTable(
          ['JOB', 'KIND', 'APP', 'STATE', 'NODE', 'DRIVE', 'EPOCH', 'STARTED', 'FINISHED'],
          jobs.map((j) => [
            j.id,
            j.kind,
            j.app || '-',
            j.state,
            j.node,
            j.drive,
            String(j.epoch),
            j.started_at,
            j.finished_at ?? '',
          ]),
        ),
      );
    });
}

function cancelCommand(): Command {
  return new Command('cancel')
    .description('cancel a running job (as the Web UI does) and wait for it to record its end')
    .argument('<id>', 'the job ID (its workflow ID)')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print JSON')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      // `baton job` has the same options: commander may hand them to the parent.
      const opts = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
      const baton = await BatonClient.connect({ config: loadConfig(opts.config) });
      try {
        const result = await baton.cancel(id);
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        else if (result.status === 'RUNNING') {
          console.log(`${id}: cancel requested; still running after ${result.waitedMs} ms (see \`baton job ${id}\`)`);
        } else console.log(`${id}: ${result.status.toLowerCase()} after ${result.waitedMs} ms`);
        if (result.status === 'RUNNING') process.exitCode = 1;
      } finally {
        await baton.close();
      }
    });
}

export function jobCommand(): Command {
  return new Command('job')
    .addCommand(cancelCommand())
    .description('show one job: its attempts (node, drive, epoch, outcome, why it restarted) and timeline')
    .argument('<id>', 'the job ID (its workflow ID)')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { config?: string; json?: boolean }) => {
      const report = await withCatalog(opts.config, (db) => jobReport(db, id));
      if (opts.json) {
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      // Verify jobs concern a drive, not an app.
      const what = report.kind === 'verify' ? `verify of drive ${report.drive}` : `${report.kind} of ${report.app}`;
      console.log(`${report.id}: ${report.state}, ${what} requested by ${report.requestedBy}`);
      console.log(`started ${report.startedAt}, finished ${report.finishedAt ?? '(running)'}`);
      if (report.snapshot) {
        const label = report.kind === 'backup' ? 'snapshot' : report.kind === 'restore' ? 'restored into' : 'drive';
        console.log(`${label}: ${report.snapshot} (${report.files ?? '-'} files, ${report.bytes} bytes)`);
      }
      if (report.error) console.log(`error: ${report.error}`);
      // Restores and verifies run as one activity, without attempts or epochs.
      if (report.attempts.length > 0) {
        console.log('\nattempts:');
        console.log(
          formatTable(
            ['#', 'NODE', 'DRIVE', 'EPOCH', 'OUTCOME', 'RESTART'],
            report.attempts.map((a) => [
              String(a.number),
              a.node,
              a.drive,
              String(a.epoch),
              a.outcome ?? 'running',
              a.restart ? `${a.restart.kind}: ${a.restart.reason}` : 'first attempt',
            ]),
          ),
        );
      }
      console.log('\ntimeline:');
      for (const e of report.timeline) console.log(`  ${e.at}  ${(e.node ?? '').padEnd(8)}  ${e.message}`);
    });
}
