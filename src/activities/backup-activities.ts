/**
 * The node's backup service as activities, pinned to the node's own queue. Thin bindings over the
 * data engine: check the request is for this node, open the node's drive, run the backup (or
 * resume it from a checkpoint the catalog holds), turn the engine's checkpoints into catalog rows,
 * heartbeats and progress reports, fence every write by epoch, and turn engine errors into
 * non-retryable failures that name the fix.
 */
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { checkEpoch, checkpointData, saveCheckpoint, StaleEpochError } from '../catalog/attempts';
import { addEvent, snapshotsOf } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import {
  AbortedError,
  backup,
  DriveFullError,
  EngineError,
  openDrive,
  WrongPasswordError,
  type Checkpoint,
} from '../engine';
import type { BackupAttemptInput, BackupOutcome, BackupProgress, CheckpointRef } from '../model/backup';
import type { DriveSpec } from '../model/plan';

export interface BackupActivityDeps {
  node: string;
  logger: Logger;
  catalog: Catalog;
  /** The drives' passphrase; undefined only when encryption is off. */
  password: string | undefined;
  encryption: boolean;
  /** Where this node keeps per-app file caches (unchanged files are not read again). */
  cacheDir: string;
  /** Tells the job workflow how far the attempt got (a signal, in the node process). */
  reportProgress: (workflowId: string, progress: BackupProgress) => Promise<void>;
  /** Milliseconds since this node last reached Temporal. */
  msSinceTemporalReached: () => number;
  /** Minimum ms between progress reports to the workflow. */
  reportEveryMs?: number;
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
  const open = (drive: DriveSpec) =>
    openDrive(drive.path, {
      password: deps.password,
      create: { kind: drive.kind, volumeSize: drive.volumeSize, volumes: drive.volumes, encryption: deps.encryption },
    });

  return {
    async backupAttempt({ job, attempt, resumeFrom }: BackupAttemptInput): Promise<BackupOutcome> {
      const ctx = Context.current();
      const started = Date.now();
      const log = deps.logger.child({
        app: job.app.name,
        job: job.jobId,
        attempt: attempt.number,
        epoch: attempt.epoch,
      });
      if (attempt.node !== deps.node || attempt.drive.node !== deps.node) {
        throw ApplicationFailure.nonRetryable(
          `attempt ${attempt.number} of ${job.jobId} was sent to node ${deps.node} but is for node ${attempt.node} ` +
            `with drive ${attempt.drive.name} of node ${attempt.drive.node}; the job must route it to its host's queue`,
          'WrongNode',
        );
      }
      const heartbeatMs = job.settings.heartbeatTimeoutSeconds * 1000;
      let lastCheckpointAt: string | null = resumeFrom?.at ?? null;
      let lastReport = 0;
      let lastBeat = 0;
      const beatEveryMs = Math.min(1000, heartbeatMs / 4);
      let last: BackupProgress | null = null;
      // The previous snapshot of the app is the estimate of this one's size (for percent and ETA).
      const previous = (await snapshotsOf(deps.catalog, job.app.name, 1))[0];
      const totalFiles = previous ? Number(previous.files) : 0;
      const totalBytes = previous ? Number(previous.bytes) : 0;
      const resumedBytes = resumeFrom?.bytes ?? 0;
      const report = (files: number, bytes: number, lastPath: string | null, force = false) => {
        const seconds = (Date.now() - started) / 1000;
        const rate = seconds > 0 ? Math.max(0, bytes - resumedBytes) / seconds : 0;
        last = {
          files,
          bytes,
          totalFiles,
          totalBytes,
          rateBytesPerSecond: Math.round(rate),
          etaSeconds: totalBytes > bytes && rate > 0 ? Math.round((totalBytes - bytes) / rate) : null,
          lastPath,
          checkpointAt: lastCheckpointAt,
          epoch: attempt.epoch,
        };
        const now = Date.now();
        // the engine reports per file and per 8 MiB of a large file; a heartbeat per tiny file
        // would cost more than backing it up, and Temporal needs one per heartbeat timeout
        if (force || now - lastBeat >= beatEveryMs) {
          lastBeat = now;
          ctx.heartbeat({ progress: last });
        }
        if (force || now - lastReport >= (deps.reportEveryMs ?? 1000)) {
          lastReport = now;
          deps.reportProgress(job.jobId, last).catch((err: unknown) => {
            log.warn({ err }, 'could not report progress to the job workflow');
          });
        }
      };
      // Fencing: before every pack write, checkpoint and the commit. The epoch comes first: a node
      // woken after its job moved on is both stale and isolated, and must be refused as stale.
      const fence = async () => {
        await checkEpoch(deps.catalog, job.jobId, attempt.epoch);
        const quiet = deps.msSinceTemporalReached();
        if (quiet > heartbeatMs) throw new IsolatedError(deps.node, quiet);
      };
      try {
        await fence();
        const resume = resumeFrom
          ? ((await checkpointData(deps.catalog, job.jobId, resumeFrom.seq)) as Checkpoint)
          : undefined;
        log.info(
          {
            drive: attempt.drive.name,
            resumeFrom: resumeFrom ? { files: resumeFrom.files, bytes: resumeFrom.bytes } : null,
          },
          resume ? 'backup attempt resuming from checkpoint' : 'backup attempt starting',
        );
        const drive = await open(attempt.drive);
        const result = await backup({
          drive,
          sources: job.app.paths,
          app: job.app.name,
          cachePath: job.full ? null : join(deps.cacheDir, `${drive.id}-${job.app.name}.json`),
          checkpointEvery: { seconds: job.settings.checkpointEverySeconds, bytes: job.settings.checkpointEveryBytes },
          resumeFrom: resume,
          password: deps.password,
          signal: ctx.cancellationSignal,
          beforeWrite: fence,
          rateLimit: job.app.bandwidthLimitBytesPerSecond,
          progress: { update: (c) => report(c.files, c.bytes, c.currentPath ?? null) },
          onCheckpoint: async (cp) => {
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
                data: cp,
              },
              at,
            );
            lastCheckpointAt = at;
            ctx.heartbeat({ checkpoint: { at, files: cp.stats.files, bytes: cp.stats.bytes } });
            report(cp.stats.files, cp.stats.bytes, last?.lastPath ?? null, true);
          },
        });
        log.info(
          {
            snapshot: result.snapshotId,
            files: result.stats.files,
            bytes: result.stats.bytes,
            incomplete: result.incomplete,
          },
          'backup attempt committed',
        );
        return {
          files: result.stats.files,
          bytes: result.stats.bytes,
          newBytes: result.stats.newBytes,
          durationMs: Date.now() - started,
          snapshotId: result.snapshotId,
          drive: attempt.drive.path,
          incomplete: result.incomplete,
        };
      } catch (err) {
        if (err instanceof AbortedError) await recordStop(deps, job.cluster, job.jobId, attempt.epoch);
        throw toFailure(err, {
          deps,
          job: job.jobId,
          cluster: job.cluster,
          paths: job.app.paths,
          drive: attempt.drive,
        });
      }
    },

    /** Whether this node can open every drive a checkpoint's data lives on (run on the next attempt's node). */
    async canReadCheckpoint(input: { jobId: string; checkpoint: CheckpointRef }): Promise<boolean> {
      const cp = (await checkpointData(deps.catalog, input.jobId, input.checkpoint.seq)) as Checkpoint;
      for (const d of cp.drives ?? []) {
        try {
          await openDrive(d.path, { password: deps.password });
        } catch (err) {
          deps.logger.warn({ drive: d.path, err }, 'checkpoint drive not readable from this node');
          return false;
        }
      }
      return true;
    },
  };
}

/** A cancelled attempt says so in the timeline, and whether a newer attempt had fenced it off by then. */
async function recordStop(deps: BackupActivityDeps, cluster: string, jobId: string, epoch: number): Promise<void> {
  let fenced = '';
  try {
    await checkEpoch(deps.catalog, jobId, epoch);
  } catch (err) {
    if (err instanceof StaleEpochError)
      fenced = `; epoch ${epoch} is fenced off (the job's current epoch is ${err.current})`;
  }
  await addEvent(
    deps.catalog,
    {
      cluster,
      jobId,
      kind: 'attempt-stopped',
      node: deps.node,
      message: `attempt with epoch ${epoch} stopped on cancellation without committing${fenced}`,
    },
    new Date().toISOString(),
  ).catch(() => undefined);
}

function toFailure(
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
    return ApplicationFailure.nonRetryable(err.message, 'Fenced');
  }
  if (err instanceof IsolatedError) {
    deps.logger.warn({ job: ctx.job }, err.message);
    void addEvent(
      deps.catalog,
      { cluster: ctx.cluster, jobId: ctx.job, kind: 'attempt-isolated', node: deps.node, message: err.message },
      new Date().toISOString(),
    ).catch(() => undefined);
    return ApplicationFailure.nonRetryable(err.message, 'Isolated');
  }
  if (err instanceof AbortedError) return err;
  if (err instanceof DriveFullError || (err as NodeJS.ErrnoException).code === 'ENOSPC') {
    return ApplicationFailure.nonRetryable(
      `drive ${ctx.drive.name} (${ctx.drive.path}) on node ${deps.node} is full: ${(err as Error).message}; ` +
        'free space on it or assign the node another drive, then run the backup again',
      'DriveFull',
    );
  }
  if (err instanceof EngineError && err.code === 'BAD_SOURCE') {
    return ApplicationFailure.nonRetryable(
      `${err.message} (app data paths ${ctx.paths.join(', ')} on node ${deps.node}; check the config and that the storage is mounted here)`,
      'AppDataMissing',
    );
  }
  if (err instanceof WrongPasswordError) {
    return ApplicationFailure.nonRetryable(
      `${err.message} (drive ${ctx.drive.name}; set repository.passwordFile or BATON_PASSWORD to the drive's passphrase)`,
      'WrongPassword',
    );
  }
  return err;
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
