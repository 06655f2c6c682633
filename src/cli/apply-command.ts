/**
 * `baton apply`: hands baton.yaml's plan to the cluster's coordinator (starting it if none runs)
 * and prints what changed; `--dry-run` prints it and applies nothing; `--init-drives` first
 * initialises the drives the config lists that have no Baton drive yet, saying so.
 */
import { Command } from 'commander';
import type { ApplyOutcome } from '../client/apply-plan';
import { BatonClient } from '../client/baton-client';
import { repositoryPassword, loadConfig, type BatonConfig } from '../config/load';
import { EngineError, clusterContentKey, openDrive } from '../engine';
import { coordinatorWorkflowId } from '../model/names';
import { crowdNote, crowdedCronTimes } from '../model/crowded-schedules';
import { describeChange } from '../model/plan-diff';
import type { DriveSpec } from '../model/plan';
import { UserError } from '../model/errors';

interface ApplyFlags {
  config?: string;
  dryRun?: boolean;
  initDrives?: boolean;
  timeout: string;
}

/** True when `drive` has a Baton drive at its path (as this host sees it). */
async function driveExists(drive: DriveSpec, password: string | undefined): Promise<boolean> {
  try {
    await openDrive(drive.path, { password });
    return true;
  } catch (err) {
    if (err instanceof EngineError && err.code === 'NO_DRIVE') return false;
    throw err;
  }
}

/** --init-drives: initialises each listed drive that has none at its path; one line per drive. */
async function initDrives(config: BatonConfig, dryRun: boolean, say: (line: string) => void): Promise<void> {
  const password = repositoryPassword(config);
  for (const d of config.plan.drives) {
    if (await driveExists(d, password)) {
      say(`drive ${d.name} at ${d.path}: already initialised`);
    } else if (dryRun) {
      say(`drive ${d.name} at ${d.path}: would be initialised (${d.kind})`);
    } else {
      const create = {
        kind: d.kind,
        volumeSize: d.volumeSize,
        volumes: d.volumes,
        encryption: config.repository.encryption,
        // the cluster's content key, as a backup's initOnFirstBackup gives it (content-key.ts)
        contentKey:
          config.repository.encryption && password ? await clusterContentKey(password, config.cluster) : undefined,
      };
      const drive = await openDrive(d.path, { password, create });
      say(
        `drive ${d.name} at ${d.path}: initialised (${d.kind}${drive.key ? ', encrypted' : ', NOT encrypted'}, id ${drive.id})`,
      );
    }
  }
}

/** Without --init-drives: a note for each listed drive this host sees missing, unless a backup may initialise it. */
async function noteMissingDrives(config: BatonConfig, say: (line: string) => void): Promise<void> {
  let password: string | undefined;
  try {
    password = repositoryPassword(config);
  } catch {
    return; // no passphrase here: the drives cannot be opened from this host, so nothing to say of them
  }
  for (const d of config.plan.drives) {
    if (d.initOnFirstBackup || (await driveExists(d, password).catch(() => true))) continue;
    say(
      `note: drive ${d.name} at ${d.path} is not initialised here; backups to it are refused until ` +
        `\`baton apply --init-drives --config ${config.file}\` runs on a host that mounts it`,
    );
  }
}

/** The outcome as lines: what changed, or "no change", or (dry run) what would. */
export function outcomeLines(config: BatonConfig, o: ApplyOutcome): string[] {
  const id = coordinatorWorkflowId(config.cluster);
  const changes = o.changes.map((c) => `  ${describeChange(c)}`);
  if (!o.wasRunning) {
    const head = o.applied
      ? `started coordinator ${id} with the plan of ${config.file}:`
      : `dry run: coordinator ${id} is not running; apply would start it with:`;
    return [head, ...changes];
  }
  if (o.changes.length === 0) return [`no change: coordinator ${id} already has the plan of ${config.file}`];
  if (o.applied) return [`coordinator ${id} took the plan of ${config.file}:`, ...changes];
  return [`dry run: coordinator ${id} would change:`, ...changes, ...o.refusals.map((r) => `would be refused: ${r}`)];
}

export async function runApply(flags: ApplyFlags, say: (line: string) => void = console.log): Promise<number> {
  const config = loadConfig(flags.config);
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UserError('--timeout must be a positive number of seconds');
  if (flags.initDrives) await initDrives(config, flags.dryRun ?? false, say);
  else await noteMissingDrives(config, say);
  for (const crowd of crowdedCronTimes(config.plan)) say(crowdNote(crowd));
  const baton = await BatonClient.connect({ config });
  try {
    const outcome = await baton.apply(config, { dryRun: flags.dryRun, timeoutMs: seconds * 1000 });
    for (const line of outcomeLines(config, outcome)) say(line);
    return outcome.refusals.length > 0 ? 1 : 0;
  } finally {
    await baton.close();
  }
}

export function applyCommand(): Command {
  return new Command('apply')
    .description(
      "hand the config's plan to the cluster's coordinator (starting it if none runs) and print what changed",
    )
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--dry-run', 'print what would change; change nothing')
    .option('--init-drives', 'first initialise the listed drives that have no Baton drive yet (as this host sees them)')
    .option('--timeout <seconds>', 'how long to wait for the coordinator to answer', '30')
    .action(async (flags: ApplyFlags) => {
      process.exitCode = await runApply(flags);
    });
}
