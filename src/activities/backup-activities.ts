/**
 * The node's backup service as activities, pinned to the node's own queue. Thin bindings: check
 * the request is for this node, run the data path, turn its checkpoints into catalog rows,
 * heartbeats and progress reports, fence every write by epoch, and turn bad input into
 * non-retryable failures that name the fix.
 */
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { checkEpoch, checkpointData, saveCheckpoint, StaleEpochError } from '../catalog/attempts';
import { addEvent } from '../catalog/jobs';
import type { Catalog } from '../catalog/open';
import { copyTree, type CopyCheckpoint } from './copy-tree';
import type { BackupAttemptInput, BackupOutcome, BackupProgress, CheckpointRef } from '../workflows/types';

export interface BackupActivityDeps {
  node: string;
  logger: Logger;
  catalog: Catalog;
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
  return {
    async backupAttempt({ job, attempt, resumeFrom }: BackupAttemptInput): Promise<BackupOutcome> {
      const ctx = Context.current();
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
      const workflowId = job.jobId;
      const heartbeatMs = job.settings.heartbeatTimeoutSeconds * 1000;
      let lastCheckpointAt: string | null = resumeFrom?.at ?? null;
      let lastReport = 0;
      let last: Omit<BackupProgress, 'checkpointAt' | 'epoch'> | null = null;
      const report = (p: Omit<BackupProgress, 'checkpointAt' | 'epoch'>, force = false) => {
        last = p;
        const progress: BackupProgress = { ...p, checkpointAt: lastCheckpointAt, epoch: attempt.epoch };
        ctx.heartbeat({ progress });
        const now = Date.now();
        if (force || now - lastReport >= (deps.reportEveryMs ?? 1000)) {
          lastReport = now;
          deps.reportProgress(workflowId, progress).catch((err: unknown) => {
            log.warn({ err }, 'could not report progress to the job workflow');
          });
        }
      };
      const fence = async () => {
        await checkEpoch(deps.catalog, job.jobId, attempt.epoch);
        const quiet = deps.msSinceTemporalReached();
        if (quiet > heartbeatMs) throw new IsolatedError(deps.node, quiet);
      };
      const resume = resumeFrom
        ? ((await checkpointData(deps.catalog, job.jobId, resumeFrom.seq)) as CopyCheckpoint)
        : null;
      log.info(
        { drive: attempt.drive.name, resumeFrom: resume ? { files: resume.files, cursor: resume.cursor } : null },
        resume ? 'backup attempt resuming from checkpoint' : 'backup attempt starting',
      );
      const jobDir = join(attempt.drive.path, job.jobId);
      try {
        const result = await copyTree({
          sources: job.app.paths,
          root: join(jobDir, `attempt-${attempt.number}`),
          manifestDir: jobDir,
          resumeFrom: resume,
          signal: ctx.cancellationSignal,
          beforeWrite: fence,
          checkpointEvery: { ms: job.settings.checkpointEverySeconds * 1000, bytes: job.settings.checkpointEveryBytes },
          bandwidthLimit: job.app.bandwidthLimitBytesPerSecond,
          onProgress: (p) => report(p),
          onCheckpoint: async (cp) => {
            const at = new Date().toISOString();
            await saveCheckpoint(
              deps.catalog,
              { jobId: job.jobId, epoch: attempt.epoch, node: deps.node, files: cp.files, bytes: cp.bytes, data: cp },
              at,
            );
            lastCheckpointAt = at;
            ctx.heartbeat({ checkpoint: { at, files: cp.files, bytes: cp.bytes } });
            if (last) report(last, true);
          },
        });
        log.info({ files: result.files, bytes: result.bytes, manifest: result.manifest }, 'backup attempt committed');
        return {
          files: result.files,
          bytes: result.bytes,
          durationMs: result.durationMs,
          location: result.manifest,
          parts: result.parts.length,
        };
      } catch (err) {
        throw toFailure(err, job.app.paths, attempt.drive.name, attempt.drive.path, deps, job.jobId, job.cluster);
      }
    },

    /** Whether this node can read every part a checkpoint refers to (run on the next attempt's node). */
    async canReadCheckpoint(input: { jobId: string; checkpoint: CheckpointRef }): Promise<boolean> {
      const data = (await checkpointData(deps.catalog, input.jobId, input.checkpoint.seq)) as CopyCheckpoint;
      for (const part of data.parts ?? []) {
        try {
          await access(part.root, constants.R_OK);
        } catch {
          return false;
        }
      }
      return true;
    },
  };
}

function toFailure(
  err: unknown,
  paths: string[],
  driveName: string,
  drivePath: string,
  deps: BackupActivityDeps,
  jobId: string,
  cluster: string,
): unknown {
  if (err instanceof StaleEpochError) {
    deps.logger.warn({ job: jobId, epoch: err.epoch, current: err.current }, 'fenced: a newer attempt owns this job');
    void addEvent(
      deps.catalog,
      {
        cluster,
        jobId,
        kind: 'write-fenced',
        node: deps.node,
        message: err.message,
        data: { epoch: err.epoch, current: err.current },
      },
      new Date().toISOString(),
    ).catch(() => undefined);
    return ApplicationFailure.nonRetryable(err.message, 'Fenced');
  }
  if (err instanceof IsolatedError) return ApplicationFailure.nonRetryable(err.message, 'Isolated');
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') {
    return ApplicationFailure.nonRetryable(
      `drive ${driveName} (${drivePath}) on node ${deps.node} is full; ` +
        'free space on it or assign the node another drive, then run the backup again',
      'DriveFull',
    );
  }
  if (e.code === 'ENOENT' && e.path && paths.includes(e.path)) {
    return ApplicationFailure.nonRetryable(
      `data path ${e.path} does not exist on node ${deps.node}; ` +
        "check the app's paths in the config and that its storage is mounted here",
      'AppDataMissing',
    );
  }
  return err;
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
