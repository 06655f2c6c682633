/**
 * The node's backup service, restore and verify side: activities pinned to the node's own queue,
 * thin over the data engine. They check the request is for this node, heartbeat progress (files,
 * bytes, current path and a one-line summary: the workflow's live progress) at least once a
 * second so a cancellation reaches them, pass the activity's cancellation signal to the engine
 * (which stops within about a second), and turn engine errors into failures: non-retryable when
 * asking again cannot help (unknown snapshot, path escape, wrong password, damaged data naming the
 * pack and the file, a full or read-only target), retryable otherwise (an I/O error, a lock held
 * for a while).
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import {
  AbortedError,
  CorruptionError,
  EngineError,
  LockedError,
  PathEscapeError,
  WrongPasswordError,
  errnoCode,
  openDrive,
  restore,
  verify,
  type Finding,
  type ProgressCounters,
} from '../engine';
import { operationSummary, type OperationHeartbeat } from '../model/heartbeat';
import type {
  OperationProgress,
  RestoreOutcome,
  RestoreRequest,
  VerifyFinding,
  VerifyOutcome,
  VerifyRequest,
} from '../model/operations';
import { recordVerifyFinished } from '../metrics/node-metrics';
import { checkAllowedPaths, type AllowedRoots } from './allowed-roots';
import { failure } from './failure';

export interface OperationActivityDeps {
  /** The cluster this node belongs to (the verify metric's label). */
  cluster: string;
  node: string;
  logger: Logger;
  /** The drives' passphrase; undefined only when encryption is off. */
  password: string | undefined;
  /** Ms between heartbeats while the engine works (default 1000); a cancellation arrives with one. */
  heartbeatEveryMs?: number;
  /** The roots the node's own config allows drive paths under; unset: no check. */
  allowed?: AllowedRoots;
}

/** Verify findings carried in the result; the rest are counted. */
export const FINDINGS_KEPT = 50;

export function createOperationActivities(deps: OperationActivityDeps) {
  return {
    /**
     * Checks, on the node that will receive the files, that the target is an absolute path naming
     * an empty directory or a new one in an existing directory, and that it can be written. Writes nothing.
     */
    checkRestoreTarget(input: { node: string; target: string }): Promise<void> {
      return checkRestoreTarget(deps, input);
    },
    /** Restores a snapshot (or a directory of it) into the target on this node. */
    restoreSnapshot(req: RestoreRequest): Promise<RestoreOutcome> {
      return restoreSnapshot(deps, req);
    },
    /** Checks a drive's structure (and with readData every byte of its packs); damage is reported, not thrown. */
    verifyDrive(req: VerifyRequest): Promise<VerifyOutcome> {
      return verifyDrive(deps, req);
    },
  };
}

function wrongNode(deps: OperationActivityDeps, what: string, node: string) {
  return failure(
    `${what} was sent to node ${deps.node} but is for node ${node}; the workflow must route it to that node's queue`,
    'WrongNode',
  );
}

/**
 * Runs `work` with progress turned into heartbeat details (OperationHeartbeat), on every update
 * and every second in between: the server keeps the latest for anyone who describes the workflow,
 * without a history event, and a cancellation arrives with a heartbeat's answer.
 */
async function withProgress<T>(
  deps: OperationActivityDeps,
  kind: 'restore' | 'verify',
  initial: OperationProgress,
  work: (update: (p: OperationProgress) => void) => Promise<T>,
): Promise<T> {
  const ctx = Context.current();
  const started = Date.now();
  let last = initial;
  const beat = () => {
    const details: OperationHeartbeat = {
      summary: operationSummary(kind, last, (Date.now() - started) / 1000),
      progress: last,
    };
    ctx.heartbeat(details);
  };
  const update = (p: OperationProgress) => {
    last = p;
    beat();
  };
  beat();
  const timer = setInterval(beat, deps.heartbeatEveryMs ?? 1000);
  try {
    return await work(update);
  } finally {
    clearInterval(timer);
  }
}

async function checkRestoreTarget(deps: OperationActivityDeps, input: { node: string; target: string }): Promise<void> {
  if (input.node !== deps.node) throw wrongNode(deps, `the target check of ${input.target}`, input.node);
  const bad = (why: string) => failure(`restore target ${input.target} on node ${deps.node} ${why}`, 'BadTarget');
  if (!isAbsolute(input.target)) throw bad('is not an absolute path; give the full path of the directory');
  let writable = input.target;
  try {
    const st = await stat(input.target);
    if (!st.isDirectory()) throw bad('exists and is not a directory; restore into an empty or new directory');
    const entries = await readdir(input.target);
    if (entries.length > 0) {
      throw bad(
        `is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); restore into an empty or ` +
          'new directory, so nothing there is overwritten',
      );
    }
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    if (errnoCode(err) !== 'ENOENT') throw bad(`cannot be read: ${(err as Error).message}`);
    writable = dirname(input.target);
    const parent = await stat(writable).catch(() => null);
    if (!parent?.isDirectory()) {
      throw bad(`cannot be created: its parent ${writable} is not a directory on that node; create it first`);
    }
  }
  try {
    await access(writable, constants.W_OK);
  } catch {
    throw bad(`cannot be written: ${writable} is not writable by the node process; fix its permissions`);
  }
}

async function restoreSnapshot(deps: OperationActivityDeps, req: RestoreRequest): Promise<RestoreOutcome> {
  if (req.node !== deps.node) throw wrongNode(deps, `the restore ${req.jobId}`, req.node);
  checkAllowedPaths(deps.allowed, deps.node, `drive ${req.source.drive}'s path`, [req.source.drivePath]);
  const ctx = Context.current();
  const started = Date.now();
  const log = deps.logger.child({ job: req.jobId, app: req.app, snapshot: req.source.snapshotId.slice(0, 12) });
  const { source } = req;
  log.info({ drive: source.drive, target: req.target, subtree: req.subtree, paths: req.paths }, 'restore starting');
  try {
    const result = await withProgress(
      deps,
      'restore',
      { files: 0, bytes: 0, totalFiles: source.files, totalBytes: source.bytes, currentPath: null },
      async (update) => {
        const drive = await openDrive(source.drivePath, { password: deps.password });
        return restore({
          drive,
          password: deps.password,
          snapshotId: source.snapshotId,
          target: req.target,
          subtree: req.subtree ?? undefined,
          paths: req.paths,
          signal: ctx.cancellationSignal,
          rateLimit: req.rateLimit,
          noDevices: req.noDevices,
          noSetuid: req.noSetuid,
          progress: {
            update: (c: Readonly<ProgressCounters>) =>
              update({
                files: c.files,
                bytes: c.bytes,
                totalFiles: source.files,
                totalBytes: source.bytes,
                currentPath: c.currentPath ?? null,
              }),
          },
        });
      },
    );
    log.info({ files: result.files, bytes: result.bytes }, 'restore finished');
    return {
      snapshotId: source.snapshotId,
      node: deps.node,
      target: req.target,
      files: result.files,
      dirs: result.dirs,
      bytes: result.bytes,
      skipped: result.skipped,
      ...(result.setuidStripped !== undefined ? { setuidStripped: result.setuidStripped } : {}),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (ctx.cancellationSignal.aborted && err instanceof AbortedError) {
      log.info('restore cancelled');
      throw new CancelledFailure(`restore into ${req.target} on ${deps.node} cancelled: ${err.message}`);
    }
    log.warn({ err }, 'restore failed');
    throw restoreFailure(err, { node: deps.node, drive: source.drive, target: req.target });
  }
}

async function verifyDrive(deps: OperationActivityDeps, req: VerifyRequest): Promise<VerifyOutcome> {
  if (req.node !== deps.node) throw wrongNode(deps, `the verify ${req.jobId}`, req.node);
  checkAllowedPaths(deps.allowed, deps.node, `drive ${req.drive.name}'s path`, [req.drive.path]);
  const ctx = Context.current();
  const started = Date.now();
  const log = deps.logger.child({ job: req.jobId, drive: req.drive.name });
  log.info({ readData: req.readData }, 'verify starting');
  try {
    const r = await withProgress(
      deps,
      'verify',
      { files: 0, bytes: 0, totalFiles: 0, totalBytes: 0, currentPath: null },
      async (update) => {
        const drive = await openDrive(req.drive.path, { password: deps.password });
        return verify({
          drive,
          password: deps.password,
          readData: req.readData,
          signal: ctx.cancellationSignal,
          rateLimit: req.rateLimit,
          progress: {
            update: (c: Readonly<ProgressCounters>) =>
              update({ files: 0, bytes: c.bytes, totalFiles: 0, totalBytes: 0, currentPath: null }),
          },
        });
      },
    );
    log.info({ ok: r.ok, errors: r.errors.length, bytesRead: r.bytesRead }, 'verify finished');
    recordVerifyFinished(deps.cluster, req.drive.name, r.errors.length);
    return {
      drive: req.drive.name,
      node: deps.node,
      readData: req.readData,
      ok: r.ok,
      errorCount: r.errors.length,
      errors: r.errors.slice(0, FINDINGS_KEPT).map(findingOf),
      infos: r.infos.length,
      snapshots: r.snapshots,
      packs: r.packs,
      blobs: r.blobs,
      bytesRead: r.bytesRead,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    if (ctx.cancellationSignal.aborted && err instanceof AbortedError) {
      log.info('verify cancelled');
      throw new CancelledFailure(`verify of drive ${req.drive.name} on ${deps.node} cancelled`);
    }
    log.warn({ err }, 'verify failed');
    throw driveFailure(err, { node: deps.node, drive: req.drive.name }) ?? err;
  }
}

/** An engine finding as the verify result carries it (plain JSON, no undefined fields). */
function findingOf(f: Finding): VerifyFinding {
  return {
    kind: f.kind,
    message: f.message,
    ...(f.pack !== undefined ? { pack: f.pack } : {}),
    ...(f.blob !== undefined ? { blob: f.blob } : {}),
    ...(f.snapshot !== undefined ? { snapshot: f.snapshot } : {}),
    ...(f.path !== undefined ? { path: f.path } : {}),
  };
}

interface FailureContext {
  node: string;
  drive: string;
}

/** Failures shared by restore and verify: the drive cannot be opened or read as it is. Null: not one of them. */
function driveFailure(err: unknown, ctx: FailureContext): ApplicationFailure | null {
  if (err instanceof WrongPasswordError || (err instanceof EngineError && err.code === 'NO_PASSWORD')) {
    return failure(
      `${err.message} (drive ${ctx.drive}, read by node ${ctx.node}; set repository.passwordFile or BATON_PASSWORD ` +
        "for the node processes to the drive's passphrase)",
      'WrongPassword',
    );
  }
  if (err instanceof LockedError) return failure(err.message, 'DriveLocked', { retryable: true });
  if (err instanceof EngineError && ['NO_DRIVE', 'MISSING_DRIVE', 'WRONG_DRIVE'].includes(err.code)) {
    return failure(
      `${err.message} (node ${ctx.node}; check that drive ${ctx.drive}'s storage is mounted there)`,
      'DriveUnavailable',
    );
  }
  if (err instanceof CorruptionError) return failure(err.message, 'Corruption');
  if (err instanceof AbortedError) return failure(err.message, 'Aborted');
  if (err instanceof EngineError) return failure(err.message, err.code);
  return null;
}

/** A restore's failure: non-retryable when the same request would fail again. */
export function restoreFailure(err: unknown, ctx: FailureContext & { target: string }): unknown {
  if (err instanceof CorruptionError) {
    // The engine's message names the pack, the blob and the file being restored.
    return failure(
      `${err.message} (drive ${ctx.drive}, read by node ${ctx.node}). ` +
        `The target ${ctx.target} is partly restored; run \`baton verify ${ctx.drive} --read-data\` to see all damage, ` +
        'and restore an older snapshot',
      'Corruption',
    );
  }
  if (err instanceof PathEscapeError) {
    return failure(`${err.message} (target ${ctx.target} on ${ctx.node})`, 'PathEscape');
  }
  if (err instanceof EngineError && err.code === 'NO_SNAPSHOT') {
    return failure(`${err.message} (read by node ${ctx.node})`, 'UnknownSnapshot');
  }
  if (err instanceof EngineError && ['NO_SUBTREE', 'NO_PATH', 'PATH_ESCAPE'].includes(err.code)) {
    return failure(err.message, 'UnknownPath');
  }
  const drive = driveFailure(err, ctx);
  if (drive) return drive;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return failure(
      `no space left in ${ctx.target} on node ${ctx.node} (${(err as Error).message}); free space there or ` +
        'restore into another directory',
      'TargetFull',
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return failure(
      `cannot write into ${ctx.target} on node ${ctx.node} (${(err as Error).message}); fix its permissions or ` +
        'restore into another directory',
      'TargetNotWritable',
    );
  }
  // Anything else (an I/O error, a dropped mount) may pass on a retry, which finishes the partial target.
  return err;
}

export type OperationActivities = ReturnType<typeof createOperationActivities>;
