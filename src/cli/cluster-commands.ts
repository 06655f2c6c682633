/** `baton node`, `baton status` and `baton backup` (through the client): the cluster side of the CLI. */
import { hostname, userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { coordinatorAtNodeStart } from '../client/apply-plan';
import { describeChange } from '../model/plan-diff';
import { UserError } from '../model/errors';
import { formatBytes } from '../model/format';
import { unreachableLine } from '../model/coordinator';
import { StuckCoordinatorError } from '../client/coordinator-client';
import { BatonClient, type JobHandle } from '../client/baton-client';
import { recordNodeHost } from '../catalog/hosts';
import { backupProgress } from '../client/live-progress';
import { recentJobs } from '../catalog/jobs';
import type { BackupJobResult } from '../model/backup';
import { openCatalog, type Catalog } from '../catalog/open';
import { loadConfig, type BatonConfig } from '../config/load';
import { createLogger } from '../log/logger';
import { runNodeProcess } from '../workers/node-process';
import { EXIT } from './exit-codes';
import { followUntilInterrupted, showBackupView, stdoutProgress } from './job-progress';
import { serveStatusPage } from './status-page-command';
import { formatTable } from './table';
import { jobSummary, type JobSummary } from '../client/job-summary';

interface ConfigOption {
  config?: string;
}

/** A whole number of seconds, at least 1 (a stop grace of 0 would cancel backups without a checkpoint). */
function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(
      `--stop-grace: "${v}" is not a whole number of seconds of at least 1; give e.g. --stop-grace 15`,
    );
  }
  return n;
}

export function nodeCommand(): Command {
  return new Command('node')
    .description("run this machine's Baton node process (backup service and coordinator worker)")
    .requiredOption('--name <node>', 'the node name, as listed in the config')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--metrics-listen <host:port>', 'serve /metrics and /healthz there (default: nodes[].metricsListen)')
    .option(
      '--stop-grace <seconds>',
      "how long SIGTERM waits for running backups to checkpoint (default: the config's jobs.checkpointEvery)",
      seconds,
    )
    .action(async (opts: ConfigOption & { name: string; stopGrace?: number; metricsListen?: string }) => {
      const config = loadConfig(opts.config);
      await recordHost(config, opts.name);
      const logger = createLogger({ node: opts.name });
      await runNodeProcess({
        node: opts.name,
        config,
        logger,
        stopGraceSeconds: opts.stopGrace,
        onReady: (client) => ensureAtStart(client, config, logger),
        metricsListen: opts.metricsListen,
      });
    });
}

/** Records this node's host in the catalog; a SQLite catalog used from another host refuses it. */
async function recordHost(config: BatonConfig, node: string): Promise<void> {
  const catalog = await openCatalog(config.catalogUrl);
  try {
    await recordNodeHost(catalog, config.catalogUrl, node, hostname(), new Date().toISOString());
  } finally {
    await catalog.destroy();
  }
}

/**
 * A node's start-up step: starts the coordinator from its config when none runs; when one runs
 * with another plan, says so and leaves it (`baton apply` changes a running coordinator's plan).
 */
async function ensureAtStart(client: Client, config: BatonConfig, logger: Logger): Promise<void> {
  const { started, changes } = await coordinatorAtNodeStart(client, config);
  if (started) {
    logger.info(
      { cluster: config.cluster },
      `started the coordinator of cluster ${config.cluster} from ${config.file}`,
    );
  } else if (changes.length === 0) {
    logger.info(
      { cluster: config.cluster },
      `the coordinator of cluster ${config.cluster} runs with the plan of ${config.file}`,
    );
  } else {
    logger.warn(
      { cluster: config.cluster, changes: changes.map(describeChange) },
      `the running coordinator's plan differs from ${config.file} (${changes.map(describeChange).join('; ')}); ` +
        `it keeps its plan: run \`baton apply --config ${config.file}\` to change it`,
    );
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('show nodes, apps and their hosts, drives and recent jobs')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--json', 'print one JSON object')
    .option('--serve <host:port>', 'serve a read-only status page there (GET / and /status.json) until Ctrl-C')
    .option('--web-ui-url <url>', "the Temporal Web UI the page links to (default: the server's host, port 8233)")
    .action(async (opts: ConfigOption & { json?: boolean; serve?: string; webUiUrl?: string }) => {
      const config = loadConfig(opts.config);
      if (opts.serve !== undefined) return serveStatusPage(config, opts.serve, opts.webUiUrl);
      const baton = await BatonClient.connect({ config });
      const catalog = await openCatalog(config.catalogUrl);
      try {
        if (opts.json) console.log(JSON.stringify(await statusOrStuck(baton, catalog, config.cluster), null, 2));
        else printStatus(await clusterStatus(baton, catalog));
      } finally {
        await catalog.destroy();
        await baton.close();
      }
    });
}

/**
 * A stuck coordinator as `baton status --json` shows it (docs/upgrades.md): its failing workflow
 * task, the build that fails it and the one it last ran on, the running jobs it tracks, the way out.
 */
function stuckView(err: StuckCoordinatorError) {
  const task = err.task;
  return {
    workflowId: err.workflowId,
    reason: err.reason,
    cause: task?.cause ?? null,
    attempt: task?.attempt ?? null,
    worker: task?.worker ?? null,
    failingBuild: task?.failingBuild ?? null,
    lastBuild: task?.lastBuild ?? null,
    runningJobs: err.orphans,
    advice: err.advice,
  };
}

/**
 * `baton status --json`'s object. A stuck coordinator answers nothing, so the object then holds
 * it (stuckCoordinator) and the catalog's recent jobs, and the command exits 1.
 */
async function statusOrStuck(baton: BatonClient, catalog: Catalog, cluster: string) {
  try {
    return await clusterStatus(baton, catalog);
  } catch (err) {
    if (!(err instanceof StuckCoordinatorError)) throw err;
    process.exitCode = EXIT.failed;
    return { cluster, stuckCoordinator: stuckView(err), recentJobs: await recentJobsView(catalog) };
  }
}

/** The catalog's 10 most recent jobs, as `baton status --json` shows them. */
async function recentJobsView(catalog: Catalog): Promise<JobSummary[]> {
  return (await recentJobs(catalog, 10)).map(jobSummary);
}

/** What `baton status` shows (its --json object): the coordinator's view and the catalog's recent jobs. */
async function clusterStatus(baton: BatonClient, catalog: Catalog) {
  const state = await baton.status();
  return {
    cluster: state.cluster,
    stuckCoordinator: null,
    coordinatorHost: state.coordinatorHost,
    clusterUnreachable: state.clusterUnreachable,
    nodes: state.plan.nodes.map((n) => ({
      name: n.name,
      drives: state.plan.drives.filter((d) => d.node === n.name).map((d) => d.name),
      coordinator: state.coordinatorHost === n.name,
    })),
    apps: state.plan.apps.map((a) => ({ name: a.name, host: state.hosts[a.name] ?? null, paths: a.paths })),
    drives: state.plan.drives,
    // each running job's live progress: its attempt's heartbeat summary, null before the first
    running: await Promise.all(
      state.running.map(async (j) => ({
        ...j,
        progress: (await backupProgress(await baton.temporal(), j.jobId).catch(() => null))?.summary ?? null,
      })),
    ),
    recentJobs: await recentJobsView(catalog),
  };
}

/** The status as tables: nodes, apps, drives, recent jobs. */
function printStatus(status: Awaited<ReturnType<typeof clusterStatus>>): void {
  console.log(`cluster ${status.cluster}, coordinator on ${status.coordinatorHost ?? '(not yet placed)'}\n`);
  if (status.clusterUnreachable) {
    console.log(`${unreachableLine(status.clusterUnreachable)}; app hosts below are the last known\n`);
  }
  console.log(
    formatTable(
      ['NODE', 'DRIVES', 'COORDINATOR'],
      status.nodes.map((n) => [n.name, n.drives.join(','), n.coordinator ? 'yes' : '']),
    ),
  );
  console.log();
  console.log(
    formatTable(
      ['APP', 'HOST', 'PATHS'],
      status.apps.map((a) => [a.name, a.host ?? '(not running)', a.paths.join(',')]),
    ),
  );
  console.log();
  console.log(
    formatTable(
      ['DRIVE', 'NODE', 'KIND', 'PATH'],
      status.drives.map((d) => [d.name, d.node, d.kind, d.path]),
    ),
  );
  console.log();
  console.log(
    formatTable(
      ['JOB', 'STATE', 'NODE', 'DRIVE', 'FILES', 'BYTES', 'STARTED'],
      status.recentJobs.map((j) => [
        j.id,
        j.state,
        j.node,
        j.drive,
        String(j.files ?? ''),
        String(j.bytes ?? ''),
        j.startedAt,
      ]),
    ),
  );
  for (const j of status.running) console.log(`\n${j.jobId} on ${j.node}: ${j.progress ?? 'starting'}`);
}

export function backupCommand(): Command {
  return new Command('backup')
    .description('back up one app now, on the node that hosts it')
    .argument('<app>', 'the app to back up, as named in the config')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--wait', 'wait for the backup to finish and print its result')
    .option('--full', "read every file, ignoring the node's file cache")
    .option('--json', 'print JSON')
    .action(async (app: string, opts: ConfigOption & { wait?: boolean; json?: boolean; full?: boolean }) => {
      const baton = await BatonClient.connect({ config: loadConfig(opts.config) });
      try {
        const job = await baton.backup(app, { full: opts.full, requestedBy: `cli:${userInfo().username}` });
        const { started } = job;
        if (!opts.wait) {
          console.log(
            opts.json ? JSON.stringify(started) : `started ${started.jobId} on ${started.node} to ${started.drive}`,
          );
          return;
        }
        await waitForBackup(job, opts.json);
      } finally {
        await baton.close();
      }
    });
}

/**
 * `baton backup --wait`: the job's progress until it ends, then its result; exit 1 when it failed,
 * 3 when its snapshot is incomplete (docs/cli.md).
 */
async function waitForBackup(job: JobHandle, json: boolean | undefined): Promise<void> {
  const { started } = job;
  const progress = stdoutProgress(json);
  progress.note(`started ${started.jobId} on ${started.node} to ${started.drive}`, {
    message_type: 'started',
    ...started,
  });
  const result = await followUntilInterrupted(progress, (stop) =>
    job.result({ onView: (view) => showBackupView(progress, view), everyMs: 1000, signal: stop }),
  );
  progress.finish({ ...result }, backupEnd(result));
  if (result.state !== 'succeeded') process.exitCode = EXIT.failed;
  else if (result.outcome?.incomplete) process.exitCode = EXIT.incomplete;
}

function backupEnd(r: BackupJobResult): string {
  const o = r.outcome;
  if (!o) return `${r.jobId} ${r.state}${r.error ? `: ${r.error}` : ''}`;
  return (
    `${r.jobId} ${r.state}: ${o.files} files, ${o.bytes} bytes (${formatBytes(o.bytes)}), ` +
    `snapshot ${o.snapshotId} on drive ${o.drive}${o.incomplete ? ' (INCOMPLETE: some files could not be read)' : ''}`
  );
}
