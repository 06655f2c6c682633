/**
 * `baton check --max-age 26h [--app X]`: a Nagios/Icinga plugin. Reads each app's last success
 * and last failure from the catalog (as `baton status` does) and asks the coordinator for its
 * status; prints one status line with perfdata and exits 0 OK, 1 WARNING, 2 CRITICAL (also: the
 * coordinator is not running, does not answer or has no host) or 3 UNKNOWN (a bad option, an
 * unknown app, a config, server or catalog it cannot reach).
 */
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import { loadConfig } from '../config/load';
import { durationSeconds } from '../config/schema';
import { checkBackups, unknown, withCoordinator, type CheckVerdict } from '../metrics/backup-check';

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
  const baton = await BatonClient.connect({ config });
  let problem: string | null;
  try {
    problem = await baton.coordinatorProblem();
  } finally {
    await baton.close();
  }
  let times;
  try {
    times = await baton.backupTimes();
  } catch (err) {
    return unknown(`cannot read the catalog ${config.catalogUrl}: ${(err as Error).message.split('\n')[0]}`);
  }
  return withCoordinator(
    checkBackups({ apps: opts.app ? [opts.app] : known, times, nowMs: Date.now(), maxAgeSeconds }),
    problem,
  );
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
