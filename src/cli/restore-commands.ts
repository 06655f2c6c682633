/**
 * `baton restore` and `baton verify`: restores and drive checks run by a node's backup service,
 * through Temporal (`baton repo restore|verify` do the same locally, without the cluster). The
 * request is checked before anything starts: the app, node or drive against the config, the
 * snapshot against the catalog, and (by the node that receives the files) the target directory.
 */
import { userInfo } from 'node:os';
import { isAbsolute, normalize, resolve } from 'node:path';
import { Command } from 'commander';
import { BatonClient } from '../client/baton-client';
import { UnknownDriveError, requireApp, requireNode } from '../client/errors';
import type { OperationHandle } from '../client/operation-handle';
import { snapshotPaths as cleanSnapshotPaths } from '../client/snapshot-paths';
import { loadConfig } from '../config/load';
import { formatBytes, shortId } from '../model/format';
import type { OperationResult } from '../model/operations';
import { EXIT } from './exit-codes';
import { followUntilInterrupted, showOperationView, stdoutProgress } from './job-progress';

interface Common {
  config?: string;
  wait?: boolean;
  json?: boolean;
}

/** Every --path given, cleaned and without repeats; empty when none (or one naming the whole snapshot). */
export function snapshotPaths(paths: string[]): string[] {
  return cleanSnapshotPaths(paths, '--path');
}

type RestoreOpts = Common & {
  target: string;
  snapshot?: string;
  node?: string;
  path: string[];
  /** false with --no-devices */
  devices: boolean;
  /** false with --no-setuid */
  setuid: boolean;
};

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--wait`: follows the operation with its progress (Ctrl-C stops the following, not the job), then
 * prints its end; a failed or cancelled one exits 1, its reason on stderr (docs/cli.md).
 */
async function waitForOperation(
  operation: OperationHandle,
  started: string,
  json: boolean | undefined,
  endText: (result: OperationResult) => string,
): Promise<void> {
  const progress = stdoutProgress(json);
  progress.note(started, { message_type: 'started', jobId: operation.id });
  const result = await followUntilInterrupted(progress, (signal) =>
    operation.result({ onView: (view) => showOperationView(progress, view), signal }),
  );
  if (result.state !== 'succeeded') {
    progress.finish({ ...result }, null);
    if (!json) console.error(`baton: ${result.error ?? `${result.jobId} ${result.state}`}`);
    process.exitCode = EXIT.failed;
    return;
  }
  progress.finish({ ...result }, endText(result));
}

function restoreEnd(result: OperationResult): string {
  const r = result.restore;
  return r
    ? `${result.jobId} succeeded: ${r.files} files, ${r.dirs} directories, ${r.bytes} bytes (${formatBytes(r.bytes)}) ` +
        `into ${r.target} on ${r.node}` +
        (r.skipped.length ? `; ${r.skipped.length} special files skipped` : '') +
        (r.setuidStripped !== undefined ? `; ${r.setuidStripped} without setuid/setgid` : '')
    : `${result.jobId} succeeded`;
}

function verifyEnd(result: OperationResult): string {
  const v = result.verify;
  return v
    ? `${result.jobId} succeeded: no errors in ${v.snapshots} snapshots, ${v.packs} packs, ${v.blobs} blobs` +
        (v.readData ? `, ${v.bytesRead} bytes read` : ' (structure only; --read-data reads every byte)')
    : `${result.jobId} succeeded`;
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description("restore an app's snapshot into a directory on a node, through that node's backup service")
    .argument('<app>', 'the app whose snapshot to restore, as named in the config')
    .requiredOption('--target <dir>', 'an empty or new directory on the node (relative: to the current directory)')
    .option('--snapshot <id>', "snapshot ID or unique prefix (default: the app's latest in the catalog)")
    .option('--node <node>', "the node that receives the files (default: the app's current host)")
    .option(
      '--path <path>',
      'restore only this file or directory of the snapshot; repeat for several (each lands at its ' +
        'relative position under --target; one directory alone: its contents go into --target)',
      collect,
      [],
    )
    .option('--no-devices', 'skip device nodes (as root they are restored by default)')
    .option('--no-setuid', 'restore modes without their setuid and setgid bits')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--wait', 'wait for the restore to finish and print its result')
    .option('--json', 'print JSON')
    .action(async (app: string, opts: RestoreOpts) => {
      const config = loadConfig(opts.config);
      // checked before connecting, so a bad request is refused even with no server
      requireApp(config, app);
      if (opts.node !== undefined) requireNode(config, opts.node);
      const paths = snapshotPaths(opts.path);
      const target = isAbsolute(opts.target) ? normalize(opts.target) : resolve(opts.target);
      const baton = await BatonClient.connect({ config });
      try {
        const restore = await baton.restore(app, {
          target,
          ...(opts.snapshot !== undefined ? { snapshot: opts.snapshot } : {}),
          ...(opts.node !== undefined ? { node: opts.node } : {}),
          paths,
          noDevices: !opts.devices,
          noSetuid: !opts.setuid,
          requestedBy: `cli:${userInfo().username}`,
        });
        const view = restore.accepted;
        const started =
          `started ${restore.id}: snapshot ${shortId(view?.snapshotId ?? '')} of ${app} from drive ${view?.drive} ` +
          `on ${view?.node} into ${target}${paths.length ? ` (only ${paths.join(', ')})` : ''}`;
        if (!opts.wait) {
          console.log(opts.json ? JSON.stringify(view) : started);
          return;
        }
        await waitForOperation(restore, started, opts.json, restoreEnd);
      } finally {
        await baton.close();
      }
    });
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description("check a drive's structure (and with --read-data every byte) on the node it belongs to")
    .argument('<drive>', 'the drive, as named in the config')
    .option('--read-data', 'read and check every pack, not only the structure')
    .option('--config <file>', 'config file (default: $BATON_CONFIG or ./baton.yaml)')
    .option('--wait', 'wait for the verify to finish and print its result')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: Common & { readData?: boolean }) => {
      const config = loadConfig(opts.config);
      const drives = config.plan.drives;
      const drive = drives.find((d) => d.name === name);
      if (!drive)
        throw new UnknownDriveError(
          name,
          drives.map((d) => d.name),
          config.file,
        );
      const baton = await BatonClient.connect({ config });
      try {
        const verify = await baton.verify(drive.name, {
          readData: opts.readData ?? false,
          requestedBy: `cli:${userInfo().username}`,
        });
        const jobId = verify.id;
        const started = `started ${jobId}: verify of drive ${drive.name} on ${drive.node}${opts.readData ? ', reading all data' : ''}`;
        if (!opts.wait) {
          console.log(opts.json ? JSON.stringify({ jobId, drive: drive.name, node: drive.node }) : started);
          return;
        }
        await waitForOperation(verify, started, opts.json, verifyEnd);
      } finally {
        await baton.close();
      }
    });
}
