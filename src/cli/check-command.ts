/**
 * `baton check --max-age 26h [--app X]`: a Nagios/Icinga plugin. Reads each app's last success
 * and last failure from the catalog (as `baton status` does) and asks the coordinator for its
 * status; prints one status line with perfdata and exits 0 OK, 1 WARNING, 2 CRITICAL (also: the
 * coordinator is not running, does not answer or has no host) or 3 UNKNOWN (a bad option, an
 * unknown app, a config, server or catalog it cannot reach).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Command } from 'commander';
import { backupTimes } from '../catalog/backup-health';
import { openCatalog } from '../catalog/open';
import { loadConfig } from '../config/load';
import { durationSeconds } from '../config/schema';
import { connect } from '../client/connect';
import { coordinatorStatus } from '../client/coordinator-client';
import { coordinatorWorkflowId } from '../model/names';
import { checkBackups, unknown, withCoordinator, type CheckVerdict } from '../metrics/backup-check';

/** How long the coordinator has to answer its status query before the check calls it CRITICAL. */
const COORDINATOR_ANSWER_MS = 10_000;

/**
 * What is wrong with the coordinator, in a phrase, or null: not running, not answering its status
 * query (its workflow task fails, or no node polls its queue), or never placed on a node.
 */
async function coordinatorProblem(client: Client, cluster: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`the coordinator of cluster ${cluster} did not answer within ${COORDINATOR_ANSWER_MS / 1000} s`),
        ),
      COORDINATOR_ANSWER_MS,
    );
  });
  try {
    const run = await Promise.race([client.workflow.getHandle(coordinatorWorkflowId(cluster)).describe(), late]);
    if (run.status.name !== 'RUNNING') {
      return `the coordinator of cluster ${cluster} is not running (its workflow is ${run.status.name}); start it with \`baton apply\``;
    }
    const state = await Promise.race([coordinatorStatus(client, cluster, COORDINATOR_ANSWER_MS), late]);
    return state.host === null ? `the coordinator of cluster ${cluster} has no host (no node has run it yet)` : null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      return `the coordinator of cluster ${cluster} is not running; start it with \`baton apply\``;
    }
    return (err as Error).message.split('\n')[0];
  } finally {
    clearTimeout(timer);
  }
}

interface CheckOptions {
  config?: string;
  maxAge?: string;
  app?: string;
}

async function verdict(opts: CheckOptions): Promise<CheckVerdict> {
  if (opts.maxAge === undefined) return unknown('--max-age is required; give the oldest acceptable backup, e.g. 26h');
  if (!/^\d+(s|m|h|d)?$/.test(opts.maxAge)) {
    return unknown(`--max-age "${opts.maxAge}" is not a duration; give one like 26h, 90m or 2d`);
  }
  const maxAgeSeconds = durationSeconds(/\d$/.test(opts.maxAge) ? Number(opts.maxAge) : opts.maxAge);
  const config = loadConfig(opts.config);
  const known = config.plan.apps.map((a) => a.name);
  if (opts.app !== undefined && !known.includes(opts.app)) {
    return unknown(`unknown app "${opts.app}"; apps in ${config.file}: ${known.join(', ') || 'none'}`);
  }
  const { client, close } = await connect(config);
  let problem: string | null;
  try {
    problem = await coordinatorProblem(client, config.cluster);
  } finally {
    await close();
  }
  let catalog;
  try {
    catalog = await openCatalog(config.catalogUrl);
  } catch (err) {
    return unknown(`cannot open the catalog ${config.catalogUrl}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const times = await backupTimes(catalog, config.cluster);
    return withCoordinator(
      checkBackups({ apps: opts.app ? [opts.app] : known, times, nowMs: Date.now(), maxAgeSeconds }),
      problem,
    );
  } finally {
    await catalog.destroy();
  }
}

export function checkCommand(): Command {
  return new Command('check')
    .description(
      'Nagios/Icinga check: is every app backed up within --max-age? (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)',
    )
    .option('--max-age <duration>', 'oldest acceptable last successful backup, e.g. 26h (required)')
    .option('--app <app>', 'check only this app')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .action(async (opts: CheckOptions) => {
      let v: CheckVerdict;
      try {
        v = await verdict(opts);
      } catch (err) {
        v = unknown((err as Error).message.split('\n').join(' '));
      }
      console.log(v.line);
      process.exitCode = v.code;
    });
}
