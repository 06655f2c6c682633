/**
 * The node's backup service as activities, pinned to the node's own queue. A thin binding: it
 * checks the request is for this node, runs the copy, turns progress into heartbeats and progress
 * reports, and turns bad input into non-retryable failures that name the fix.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { copyTree, type CopyProgress } from './copy-tree';
import type { BackupJobInput, BackupOutcome, BackupProgress } from '../workflows/types';

export interface BackupActivityDeps {
  node: string;
  logger: Logger;
  /** Tells the job workflow how far the attempt got (a signal, in the node process). */
  reportProgress: (workflowId: string, progress: BackupProgress) => Promise<void>;
  /** Minimum ms between progress reports to the workflow. */
  reportEveryMs?: number;
}

export function createBackupActivities(deps: BackupActivityDeps) {
  return {
    async backupApp(job: BackupJobInput): Promise<BackupOutcome> {
      const ctx = Context.current();
      const log = deps.logger.child({ app: job.app.name, job: job.jobId });
      if (job.node !== deps.node || job.drive.node !== deps.node) {
        throw ApplicationFailure.nonRetryable(
          `backup of ${job.app.name} was sent to node ${deps.node} but is for node ${job.node} ` +
            `with drive ${job.drive.name} of node ${job.drive.node}; the coordinator must route it to its host's queue`,
          'WrongNode',
        );
      }
      const workflowId = ctx.info.workflowExecution?.workflowId;
      let lastReport = 0;
      const onProgress = (p: CopyProgress) => {
        const progress: BackupProgress = { ...p, checkpointAt: p.lastPath ? new Date().toISOString() : null };
        ctx.heartbeat(progress);
        const now = Date.now();
        if (workflowId && (now - lastReport >= (deps.reportEveryMs ?? 2000) || p.files === p.totalFiles)) {
          lastReport = now;
          deps.reportProgress(workflowId, progress).catch((err: unknown) => {
            log.warn({ err }, 'could not report progress to the job workflow');
          });
        }
      };
      log.info({ drive: job.drive.name, paths: job.app.paths }, 'backup starting');
      try {
        const outcome = await copyTree({
          sources: job.app.paths,
          target: `${job.drive.path}/${job.jobId}`,
          signal: ctx.cancellationSignal,
          onProgress,
        });
        log.info(outcome, 'backup finished');
        return outcome;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOSPC') {
          throw ApplicationFailure.nonRetryable(
            `drive ${job.drive.name} (${job.drive.path}) on node ${deps.node} is full; ` +
              'free space on it or assign the node another drive, then run the backup again',
            'DriveFull',
          );
        }
        if (e.code === 'ENOENT' && e.path && job.app.paths.includes(e.path)) {
          throw ApplicationFailure.nonRetryable(
            `data path ${e.path} of app ${job.app.name} does not exist on node ${deps.node}; ` +
              "check the app's paths in the config and that its storage is mounted here",
            'AppDataMissing',
          );
        }
        throw err;
      }
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
