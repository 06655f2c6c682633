/**
 * The node's backup service as activities, pinned to the node's own queue. Thin bindings over the
 * data engine: check the request is for this node, open the node's drive, run the backup (or
 * resume it from a checkpoint the catalog holds), turn the engine's checkpoints into catalog rows
 * and its progress into heartbeat details (the job's live progress), fence every write by epoch,
 * and turn engine errors into non-retryable failures that name the fix.
 */
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { checkEpoch, checkpointData, saveCheckpoint, StaleEpochError } from '../catalog/attempts';
import { recordCommit } from '../catalog/attempt-commits';
import { openCheckpoint, sealCheckpoint, type CheckpointSealKind } from '../engine/checkpoint-seal';
import type { Drive } from '../engine/drive';
import { addEvent, snapshotsOf } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import {
  AbortedError,
  backup,
  DriveFullError,
  EngineError,
  openDrive,
  clusterContentKey,
  StoppedError,
  WrongPasswordError,
  checkpointPacksGone,
  contentIdsMismatch,
  type BackupResult,
  type Checkpoint,
  type ProgressCounters,
} from '../engine';
import type {
  AttemptSpec,
  BackupAttemptInput,
  BackupJobInput,
  BackupOutcome,
  BackupProgress,
  CheckpointCheck,
  CheckpointRef,
} from '../model/backup';
import { backupSummary, type BackupHeartbeat, type HeartbeatCheckpoint } from '../model/heartbeat';
import type { DriveSpec } from '../model/plan';
import { recordBackupCommitted } from '../metrics/node-metrics';
import { checkAllowedPaths, type AllowedRoots } from './allowed-roots';
import { failure } from './failure';
import { keepLease, leaseMsOf } from './lease-renewal';

export interface BackupActivityDeps {
  node: string;
  logger: Logger;
  catalog: Catalog;
  /** The drives' passphrase; undefined only when encryption is off. */
  password: string | undefined;
  encryption: boolean;
  /** Where this node keeps per-app file caches (unchanged files are not read again). */
  cacheDir: string;
  /** Milliseconds since this node last reached Temporal. */
  msSinceTemporalReached: () => number;
  /**
   * Fires when the node process is asked to stop (SIGTERM): a running attempt takes a checkpoint at
   * once and fails with NodeStopping, so the job resumes from it where the app runs.
   */
  stopping?: AbortSignal;
  /** The roots the node's own config allows app and drive paths under; unset: no check. */
  allowed?: AllowedRoots;
}

/** The question the job asks the next attempt's node; `drive` is absent in histories before it was asked. */
export interface CheckpointCheckInput {
  jobId: string;
  checkpoint: CheckpointRef;
  /** the drive the next attempt writes to */
  drive?: DriveSpec;
}

export class IsolatedError extends Error {
  constructor(node: string, ms: number) {
    super(
      `node ${node} has not reached Temporal for ${Math.round(ms / 1000)} s; it stops writing, its work moves elsewhere`,
    );
    this.name = 'IsolatedError';
  }
}

export function createBackupActivities(deps: BackupActivityDeps) {
  return {
    /** Runs (or resumes) one attempt of a backup job on this node, fenced by its epoch. */
    backupAttempt(input: BackupAttemptInput): Promise<BackupOutcome> {
      return runAttempt(deps, input);
    },
    /**
     * Whether this node can resume a checkpoint (run on the next attempt's node): it opens with the
     * key of the drive that sealed it, every drive its data lives on opens here and still holds
     * every pack it lists (a pruned one would fail the attempt with CHECKPOINT_GONE), and the next
     * attempt's `drive` (when given) cuts and names chunks as they do (same repository format and
     * content key).
     */
    canReadCheckpoint(input: CheckpointCheckInput): Promise<CheckpointCheck> {
      return checkpointReadable(deps, input);
    },
  };
}

async function runAttempt(
  deps: BackupActivityDeps,
  { job, attempt, resumeFrom }: BackupAttemptInput,
): Promise<BackupOutcome> {
  const ctx = Context.current();
  const started = Date.now();
  const log = deps.logger.child({ app: job.app.name, job: job.jobId, attempt: attempt.number, epoch: attempt.epoch });
  checkNode(deps, job, attempt);
  checkAllowedPaths(deps.allowed, deps.node, `app ${job.app.name}'s data path`, job.app.paths);
  checkAllowedPaths(deps.allowed, deps.node, `drive ${attempt.drive.name}'s path`, [attempt.drive.path]);
  const heartbeatMs = job.settings.heartbeatTimeoutSeconds * 1000;
  const progress = progressReporter({
    ctx,
    epoch: attempt.epoch,
    heartbeatMs,
    started,
    resumeFrom,
    estimate: await sizeEstimate(deps.catalog, job.app.name),
  });
  const fence = fencing(deps, job.jobId, attempt.epoch, heartbeatMs);
  let stops: (() => void)[] = [];
  try {
    await fence();
    stops = [
      progress.keepBeating(),
      await keepLease(deps.catalog, { jobId: job.jobId, epoch: attempt.epoch, heartbeatMs }, log),
    ];
    const resumed = resumeFrom ? await storedCheckpoint(deps, job.jobId, resumeFrom.seq) : undefined;
    const resume = resumed?.checkpoint;
    log.info(
      {
        drive: attempt.drive.name,
        resumeFrom: resumeFrom ? { files: resumeFrom.files, bytes: resumeFrom.bytes } : null,
      },
      resume ? 'backup attempt resuming from checkpoint' : 'backup attempt starting',
    );
    // the drive that sealed the checkpoint is open already: the engine need not derive its key again
    const drive =
      resumed?.drive.path === attempt.drive.path ? resumed.drive : await openAttemptDrive(deps, job, attempt.drive);
    const result = await runEngine(deps, job, drive, {
      resume,
      otherDrives: resumed && resumed.drive !== drive ? [resumed.drive] : [],
      signal: ctx.cancellationSignal,
      stopSignal: deps.stopping,
      fence,
      progress,
      onCheckpoint: checkpointSaver(deps, { job, attempt, drive }, fence, progress),
    });
    const outcome = outcomeOf(result, attempt.drive, started);
    await commitInCatalog(deps, { job, attempt, drive }, outcome);
    log.info(
      {
        snapshot: result.snapshotId,
        files: result.stats.files,
        bytes: result.stats.bytes,
        incomplete: result.incomplete,
      },
      'backup attempt committed',
    );
    recordBackupCommitted({
      cluster: job.cluster,
      app: job.app.name,
      seconds: (Date.now() - started) / 1000,
      bytes: result.stats.bytes,
    });
    await pauseAfterCommit(log);
    return outcome;
  } catch (err) {
    if (err instanceof StoppedError) throw await nodeStopping(deps, job, attempt, err);
    if (err instanceof AbortedError) await recordStop(deps, job.cluster, job.jobId, attempt.epoch);
    throw backupFailure(err, {
      deps,
      job: job.jobId,
      cluster: job.cluster,
      paths: job.app.paths,
      drive: attempt.drive,
    });
  } finally {
    for (const stop of stops) stop();
  }
}

function outcomeOf(result: BackupResult, drive: DriveSpec, started: number): BackupOutcome {
  return {
    files: result.stats.files,
    bytes: result.stats.bytes,
    newBytes: result.stats.newBytes,
    durationMs: Date.now() - started,
    snapshotId: result.snapshotId,
    drive: drive.path,
    incomplete: result.incomplete,
  };
}

/**
 * The commit as the job reads it: the catalog records the snapshot as the attempt's, fenced by its
 * epoch (attempt-commits.ts), before the activity returns, so a job that stopped waiting for this
 * attempt (its app moved) still finds the commit and wins with it. Fenced off meanwhile (the job
 * settled the attempt as moved first), the snapshot is not the job's: it is taken back from the
 * drive, and the attempt fails as fenced. docs/restart-policy.md, "A committed attempt wins".
 */
async function commitInCatalog(
  deps: BackupActivityDeps,
  on: { job: BackupJobInput; attempt: AttemptSpec; drive: Drive },
  outcome: BackupOutcome,
): Promise<void> {
  const { job, attempt, drive } = on;
  const commit = { cluster: job.cluster, jobId: job.jobId, number: attempt.number, epoch: attempt.epoch };
  try {
    await recordCommit(deps.catalog, { ...commit, node: deps.node, outcome }, new Date().toISOString());
  } catch (err) {
    if (!(err instanceof StaleEpochError)) throw err;
    await drive.remove('snapshots', outcome.snapshotId);
    deps.logger.warn(
      { job: job.jobId, snapshot: outcome.snapshotId, epoch: attempt.epoch },
      'snapshot taken back: the job fenced this attempt off before its commit was recorded',
    );
    throw err;
  }
}

/**
 * BATON_TEST_PAUSE_AFTER_COMMIT_MS (tests only; unset, nothing happens): the attempt waits this
 * long after its commit is recorded before the activity returns, so a test can move the app while
 * the commit is in flight (test/integration/committed-wins.test.ts).
 */
async function pauseAfterCommit(log: Logger): Promise<void> {
  const ms = Number(process.env.BATON_TEST_PAUSE_AFTER_COMMIT_MS ?? 0);
  if (!(ms > 0)) return;
  log.info({ ms }, 'BATON_TEST_PAUSE_AFTER_COMMIT_MS: pausing before the activity returns');
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** An attempt runs only on the node it is for, writing only to that node's drive. */
function checkNode(deps: BackupActivityDeps, job: BackupJobInput, attempt: AttemptSpec): void {
  if (attempt.node === deps.node && attempt.drive.node === deps.node) return;
  throw failure(
    `attempt ${attempt.number} of ${job.jobId} was sent to node ${deps.node} but is for node ${attempt.node} ` +
      `with drive ${attempt.drive.name} of node ${attempt.drive.node}; the job must route it to its host's queue`,
    'WrongNode',
  );
}

/** The previous snapshot of the app is the estimate of this one's size (for percent and ETA). */
async function sizeEstimate(catalog: Catalog, app: string): Promise<{ files: number; bytes: number }> {
  const previous = (await snapshotsOf(catalog, app, 1))[0];
  return { files: previous ? Number(previous.files) : 0, bytes: previous ? Number(previous.bytes) : 0 };
}

/**
 * Fencing: before every pack write, checkpoint and the commit. The epoch comes first: a node woken
 * after its job moved on is both stale and isolated, and must be refused as stale.
 */
function fencing(deps: BackupActivityDeps, jobId: string, epoch: number, heartbeatMs: number) {
  return async (): Promise<void> => {
    await checkEpoch(deps.catalog, jobId, epoch);
    const quiet = deps.msSinceTemporalReached();
    if (quiet > heartbeatMs) throw new IsolatedError(deps.node, quiet);
  };
}

export interface ProgressReporterOptions {
  ctx: Pick<Context, 'heartbeat'>;
  epoch: number;
  heartbeatMs: number;
  started: number;
  resumeFrom: CheckpointRef | null;
  estimate: { files: number; bytes: number };
}

type AttemptProgress = ReturnType<typeof progressReporter>;

/**
 * The attempt's progress as heartbeat details (BackupHeartbeat): the server keeps the latest for
 * anyone who describes the job, without a history event, so the job's history does not grow with
 * the backup's length. The node's worker sends them to the server at least every second. The engine
 * reports per file; the path it names is decoded only for a heartbeat (decoding each tiny file's
 * name cost more than storing the file).
 */
export function progressReporter(o: ProgressReporterOptions) {
  const { ctx, estimate } = o;
  let checkpoint: HeartbeatCheckpoint | null = o.resumeFrom
    ? { at: o.resumeFrom.at, files: o.resumeFrom.files, bytes: o.resumeFrom.bytes }
    : null;
  let lastBeat = 0;
  const beatEveryMs = Math.min(1000, o.heartbeatMs / 4);
  let lastPath: string | null = null;
  /** the engine's latest report: its path is read when a heartbeat goes */
  let latest: Readonly<ProgressCounters> | null = null;
  const resumedBytes = o.resumeFrom?.bytes ?? 0;
  let writingAt: string | null = null;
  let last = { files: o.resumeFrom?.files ?? 0, bytes: resumedBytes };
  const report = (files: number, bytes: number, force = false) => {
    const now = Date.now();
    last = { files, bytes };
    if (writingAt === null && bytes > resumedBytes) writingAt = new Date(now).toISOString();
    // the engine reports per file and per 8 MiB of a large file; a heartbeat per tiny file
    // would cost more than backing it up, and Temporal needs one per heartbeat timeout
    if (!force && now - lastBeat < beatEveryMs) return;
    lastBeat = now;
    lastPath = latest?.currentPath ?? lastPath;
    latest = null;
    const seconds = (now - o.started) / 1000;
    const rate = seconds > 0 ? Math.max(0, bytes - resumedBytes) / seconds : 0;
    const progress: BackupProgress = {
      files,
      bytes,
      totalFiles: estimate.files,
      totalBytes: estimate.bytes,
      rateBytesPerSecond: Math.round(rate),
      etaSeconds: estimate.bytes > bytes && rate > 0 ? Math.round((estimate.bytes - bytes) / rate) : null,
      lastPath,
      checkpointAt: checkpoint?.at ?? null,
      epoch: o.epoch,
      writingAt,
    };
    const beat: BackupHeartbeat = { summary: backupSummary(progress), progress, checkpoint };
    ctx.heartbeat(beat);
  };
  return {
    /**
     * Heartbeats at least every beat interval even while the engine reports nothing: it reports per
     * file and per 8 MiB, and a file read slowly (a bandwidth limit of 23 KiB/s, bench/history: 11 s
     * for a 256 KiB file) outlasted the heartbeat timeout and every attempt timed out. A dead or
     * frozen process stops this timer too, so the heartbeat timeout still finds it. Returns the stop.
     */
    keepBeating: (): (() => void) => {
      const timer = setInterval(() => report(last.files, last.bytes), beatEveryMs);
      return () => clearInterval(timer);
    },
    /** The engine's progress callback. */
    update: (c: Readonly<ProgressCounters>) => {
      latest = c;
      report(c.files, c.bytes);
    },
    /** A checkpoint is durable: heartbeat it now. */
    checkpointed(at: string, cp: Checkpoint) {
      checkpoint = { at, files: cp.stats.files, bytes: cp.stats.bytes };
      report(cp.stats.files, cp.stats.bytes, true);
    },
  };
}

/**
 * The engine's checkpoint, fenced, sealed with the attempt's drive key (the job ID, its number in
 * the catalog and the drive ID as associated data) and saved in the catalog before the attempt
 * reports it.
 */
function checkpointSaver(
  deps: BackupActivityDeps,
  on: { job: BackupJobInput; attempt: AttemptSpec; drive: Drive },
  fence: () => Promise<void>,
  progress: AttemptProgress,
) {
  const { job, attempt, drive } = on;
  return async (cp: Checkpoint): Promise<void> => {
    await fence();
    const at = new Date().toISOString();
    await saveCheckpoint(
      deps.catalog,
      {
        jobId: job.jobId,
        epoch: attempt.epoch,
        node: deps.node,
        files: cp.stats.files,
        bytes: cp.stats.bytes,
        leaseMs: leaseMsOf(job.settings.heartbeatTimeoutSeconds * 1000),
        seal: (seq) => {
          const sealed = sealCheckpoint(drive.key, { jobId: job.jobId, seq, driveId: drive.id }, cp);
          return { driveId: drive.id, drivePath: drive.path, seal: sealed.seal, sealed: sealed.data };
        },
      },
      at,
    );
    progress.checkpointed(at, cp);
  };
}

/**
 * Checkpoint `seq` of a job, opened with the key of the drive that sealed it (opened here at the
 * path the row names). Throws when that drive does not open or is another drive, or the checkpoint
 * does not open with its key (CHECKPOINT_REFUSED): it is never trusted.
 */
async function storedCheckpoint(
  deps: BackupActivityDeps,
  jobId: string,
  seq: number,
): Promise<{ checkpoint: Checkpoint; drive: Drive }> {
  const row = await checkpointData(deps.catalog, jobId, seq);
  const drive = await openDrive(row.drivePath, { password: deps.password }).catch((err: Error) => {
    throw new Error(
      `checkpoint ${seq} of job ${jobId} is sealed with the key of drive ${row.driveId} at ${row.drivePath}, ` +
        `which does not open on node ${deps.node} (${err.message})`,
    );
  });
  if (drive.id !== row.driveId) {
    throw new Error(
      `checkpoint ${seq} of job ${jobId} names drive ${row.driveId}, but ${row.drivePath} holds drive ${drive.id}`,
    );
  }
  const place = { jobId, seq, driveId: row.driveId };
  return {
    checkpoint: openCheckpoint(drive.key, place, { seal: row.seal as CheckpointSealKind, data: row.sealed }),
    drive,
  };
}

/**
 * Opens the attempt's drive. A missing drive is initialised only when its spec says
 * initOnFirstBackup (and the timeline says so), and only in an existing empty directory that is not
 * an unmounted mount point (else DriveMissing, naming why); otherwise the engine's NO_DRIVE stands, and
 * backupFailure turns it into a DriveMissing refusal that names the fix.
 */
async function openAttemptDrive(deps: BackupActivityDeps, job: BackupJobInput, spec: DriveSpec) {
  try {
    return await openDrive(spec.path, { password: deps.password });
  } catch (err) {
    if (!(err instanceof EngineError && err.code === 'NO_DRIVE' && spec.initOnFirstBackup)) throw err;
  }
  const create = {
    kind: spec.kind,
    volumeSize: spec.volumeSize,
    volumes: spec.volumes,
    encryption: deps.encryption,
    existingDirectory: true, // never a missing path, a full directory or an unmounted mount point
    // every drive the cluster makes gets the cluster's content key: chunks dedup and resume across them
    contentKey: deps.encryption && deps.password ? await clusterContentKey(deps.password, job.cluster) : undefined,
  };
  const drive = await openDrive(spec.path, { password: deps.password, create }).catch((err: unknown) => {
    if (!(err instanceof EngineError && err.code === 'MISSING_DRIVE')) throw err;
    throw failure(`${err.message} (drive ${spec.name} of node ${deps.node}, initOnFirstBackup)`, 'DriveMissing');
  });
  const message = `initialised ${spec.kind} drive ${spec.name} at ${spec.path} (its initOnFirstBackup is set)`;
  deps.logger.info({ job: job.jobId, drive: spec.name }, message);
  await addEvent(
    deps.catalog,
    { cluster: job.cluster, jobId: job.jobId, kind: 'drive-initialised', node: deps.node, message },
    new Date().toISOString(),
  );
  return drive;
}

/** Runs the engine's backup into the attempt's drive. */
async function runEngine(
  deps: BackupActivityDeps,
  job: BackupJobInput,
  drive: Drive,
  run: {
    resume: Checkpoint | undefined;
    otherDrives: Drive[];
    signal: AbortSignal;
    stopSignal: AbortSignal | undefined;
    fence: () => Promise<void>;
    progress: AttemptProgress;
    onCheckpoint: (cp: Checkpoint) => Promise<void>;
  },
): Promise<BackupResult> {
  return backup({
    drive,
    sources: job.app.paths,
    app: job.app.name,
    cachePath: job.full ? null : join(deps.cacheDir, `${drive.id}-${job.app.name}.json`),
    checkpointEvery: { seconds: job.settings.checkpointEverySeconds, bytes: job.settings.checkpointEveryBytes },
    resumeFrom: run.resume,
    otherDrives: run.otherDrives.filter((d) => d.id !== drive.id),
    password: deps.password,
    signal: run.signal,
    stopSignal: run.stopSignal,
    beforeWrite: run.fence,
    rateLimit: job.app.bandwidthLimitBytesPerSecond,
    progress: { update: run.progress.update },
    onCheckpoint: run.onCheckpoint,
  });
}

async function checkpointReadable(deps: BackupActivityDeps, input: CheckpointCheckInput): Promise<CheckpointCheck> {
  let cp: Checkpoint;
  let sealedBy: Drive;
  try {
    const stored = await storedCheckpoint(deps, input.jobId, input.checkpoint.seq);
    cp = stored.checkpoint;
    sealedBy = stored.drive;
  } catch (err) {
    deps.logger.warn({ job: input.jobId, seq: input.checkpoint.seq, err }, 'checkpoint refused on this node');
    return { readable: false, problem: (err as Error).message };
  }
  // the drives the checkpoint's data lives on, as the resumed backup opens them
  const opened: Drive[] = [];
  for (const d of cp.drives ?? []) {
    if (d.id === sealedBy.id) {
      opened.push(sealedBy); // opened above
      continue;
    }
    try {
      opened.push(await openDrive(d.path, { password: deps.password }));
    } catch (err) {
      deps.logger.warn({ drive: d.path, err }, 'checkpoint drive not readable from this node');
      return { readable: false, problem: `drive ${d.id} at ${d.path} does not open here (${(err as Error).message})` };
    }
  }
  // every pack it lists, as the resumed backup checks them (else that attempt fails: CHECKPOINT_GONE)
  for (const [i, d] of (cp.drives ?? []).entries()) {
    const gone = await checkpointPacksGone(opened[i], d).catch(
      (err: Error) => `the index of drive ${d.id} at ${d.path} does not read here (${err.message})`,
    );
    if (gone !== null) {
      deps.logger.warn({ job: input.jobId, drive: d.path, problem: gone }, 'checkpoint data gone from its drive');
      return { readable: false, problem: gone };
    }
  }
  const problem = input.drive ? await formatMismatch(deps, input.drive, opened) : null;
  if (problem !== null) {
    deps.logger.warn({ job: input.jobId, drive: input.drive?.name, problem }, 'checkpoint not resumable on this drive');
    return { readable: false, problem };
  }
  return { readable: true };
}

/**
 * Why the next attempt's drive cannot take the checkpoint's data (another repository format or
 * content key: its chunks are cut and named differently), or null. A drive that does not open yet
 * (initialised by its first backup) is not judged here: the attempt's own refusal then ends it with
 * CheckpointRefused, which is not final, and the next check finds the drive.
 */
async function formatMismatch(deps: BackupActivityDeps, spec: DriveSpec, opened: Drive[]): Promise<string | null> {
  const target = await openDrive(spec.path, { password: deps.password }).catch(() => null);
  if (target === null) return null;
  for (const d of opened) {
    const problem = contentIdsMismatch(target, d);
    if (problem !== null) return `${problem} (drive ${spec.name} of node ${deps.node})`;
  }
  return null;
}

/**
 * A cancelled attempt says so in the timeline, and whether a newer attempt had fenced it off by then
 * (then with the epochs as data, as a write-fenced event has them: a node woken after its job moved
 * on may hear of the cancellation before it reaches its next write's epoch check).
 */
async function recordStop(deps: BackupActivityDeps, cluster: string, jobId: string, epoch: number): Promise<void> {
  let fenced: StaleEpochError | null = null;
  try {
    await checkEpoch(deps.catalog, jobId, epoch);
  } catch (err) {
    if (err instanceof StaleEpochError) fenced = err;
  }
  const why = fenced ? `; epoch ${epoch} is fenced off (the job's current epoch is ${fenced.current})` : '';
  await addEvent(
    deps.catalog,
    {
      cluster,
      jobId,
      kind: 'attempt-stopped',
      node: deps.node,
      message: `attempt with epoch ${epoch} stopped on cancellation without committing${why}`,
      ...(fenced ? { data: { epoch, current: fenced.current } } : {}),
    },
    new Date().toISOString(),
  ).catch(() => undefined);
}

/** The attempt stopped with its node (StoppedError): the timeline says so, the job is told to carry on. */
async function nodeStopping(
  deps: BackupActivityDeps,
  job: BackupJobInput,
  attempt: AttemptSpec,
  err: StoppedError,
): Promise<unknown> {
  const saved = err.seq === null ? 'before its first checkpoint' : `after saving checkpoint ${err.seq}`;
  const message =
    `stopped with node ${deps.node} (SIGTERM: the node process is stopping) ${saved}; ` +
    'the job carries on where the app runs';
  deps.logger.info({ job: job.jobId, attempt: attempt.number, checkpoint: err.seq }, message);
  await addEvent(
    deps.catalog,
    { cluster: job.cluster, jobId: job.jobId, kind: 'attempt-stopped', node: deps.node, message },
    new Date().toISOString(),
  ).catch(() => undefined);
  return failure(message, 'NodeStopping', { retryable: true });
}

/** The engine's refusals of a drive that may have been tampered with (drive.ts, drive-state.ts, config.ts). */
const REFUSED_DRIVE_CODES: readonly string[] = ['UNENCRYPTED_DRIVE', 'DRIVE_CHANGED', 'BAD_CONFIG'];

/** An engine or fencing error as the failure the job reads: non-retryable when another attempt cannot help. */
function backupFailure(
  err: unknown,
  ctx: { deps: BackupActivityDeps; job: string; cluster: string; paths: string[]; drive: DriveSpec },
): unknown {
  const { deps } = ctx;
  if (err instanceof StaleEpochError) {
    deps.logger.warn({ job: ctx.job, epoch: err.epoch, current: err.current }, 'fenced: a newer attempt owns this job');
    void addEvent(
      deps.catalog,
      {
        cluster: ctx.cluster,
        jobId: ctx.job,
        kind: 'write-fenced',
        node: deps.node,
        message: err.message,
        data: { epoch: err.epoch, current: err.current },
      },
      new Date().toISOString(),
    ).catch(() => undefined);
    return failure(err.message, 'Fenced');
  }
  if (err instanceof IsolatedError) {
    deps.logger.warn({ job: ctx.job }, err.message);
    void addEvent(
      deps.catalog,
      { cluster: ctx.cluster, jobId: ctx.job, kind: 'attempt-isolated', node: deps.node, message: err.message },
      new Date().toISOString(),
    ).catch(() => undefined);
    return failure(err.message, 'Isolated');
  }
  if (err instanceof AbortedError) return err;
  if (err instanceof DriveFullError || (err as NodeJS.ErrnoException).code === 'ENOSPC') {
    return failure(
      `drive ${ctx.drive.name} (${ctx.drive.path}) on node ${deps.node} is full: ${(err as Error).message}; ` +
        'free space on it or assign the node another drive, then run the backup again',
      'DriveFull',
    );
  }
  if (err instanceof EngineError && err.code === 'BAD_SOURCE') {
    return failure(
      `${err.message} (app data paths ${ctx.paths.join(', ')} on node ${deps.node}; check the config and that the storage is mounted here)`,
      'AppDataMissing',
    );
  }
  if (err instanceof WrongPasswordError) {
    return failure(
      `${err.message} (drive ${ctx.drive.name}; set repository.passwordFile or BATON_PASSWORD to the drive's passphrase)`,
      'WrongPassword',
    );
  }
  if (err instanceof EngineError && err.code === 'NO_DRIVE') {
    return failure(
      `drive ${ctx.drive.name} of node ${deps.node} is not initialised: no Baton drive at ${ctx.drive.path}; ` +
        'a backup never creates one. Initialise it with `baton apply --init-drives --config <baton.yaml>` ' +
        'on a host that mounts it (or check that its storage is mounted here), then back up again',
      'DriveMissing',
    );
  }
  if (err instanceof EngineError && err.code === 'CHECKPOINT_REFUSED') {
    // another attempt can help: the job asks the next node (canReadCheckpoint), which says no, and restarts fresh
    return failure(`${err.message} (drive ${ctx.drive.name} on node ${deps.node})`, 'CheckpointRefused', {
      retryable: true,
    });
  }
  if (err instanceof EngineError && REFUSED_DRIVE_CODES.includes(err.code)) {
    // another attempt on the same drive would be refused the same way: a person must look at it
    return failure(`${err.message} (drive ${ctx.drive.name} on node ${deps.node})`, 'DriveRefused');
  }
  return err;
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
