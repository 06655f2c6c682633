/**
 * Restore tests, on both sides. The node's backup service (its own queue): restore the snapshot,
 * or a seeded sample of it, into a fresh scratch directory, compare, remove the directory
 * (engine/restore-test.ts), heartbeating progress; and remove a scratch directory left by a run
 * whose node died. The catalog (coordinator queue): the run's row at start and end, and the
 * failure counter of this node's metrics.
 */
import { rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { AbortedError, openDrive, type ProgressCounters } from '../engine';
import { defaultStateDir } from '../engine/drive-state';
import { testRestore } from '../engine/restore-test';
import type { Catalog } from '../catalog/open';
import {
  restoreTestFinished,
  restoreTestStarted,
  type RestoreTestEnd,
  type RestoreTestStart,
} from '../catalog/restore-tests';
import { recordRestoreTestFailed } from '../metrics/node-metrics';
import { SAMPLE_SHOWN, type RestoreTestOutcome, type RestoreTestRequest } from '../model/restore-test';
import { checkAllowedPaths, type AllowedRoots } from './allowed-roots';
import { failure } from './failure';
import { restoreFailure } from './operation-activities';

export interface RestoreTestActivityDeps {
  node: string;
  logger: Logger;
  password: string | undefined;
  allowed?: AllowedRoots;
  /** Where runs without a configured scratch go (default: restore-tests/ under the node's state directory). */
  defaultScratch?: string;
}

/** The directory one run restores into: `<scratch>/<run ID>`. */
export function scratchDirOf(
  deps: Pick<RestoreTestActivityDeps, 'defaultScratch'>,
  scratch: string | null,
  runId: string,
): string {
  const root = scratch ?? deps.defaultScratch ?? join(defaultStateDir(), 'restore-tests');
  return join(root, runId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export function createRestoreTestActivities(deps: RestoreTestActivityDeps) {
  return {
    /** Restores, compares and removes the scratch directory on this node; a difference is returned, not thrown. */
    runRestoreTest(req: RestoreTestRequest): Promise<RestoreTestOutcome> {
      return runRestoreTest(deps, req);
    },
    /** Removes a run's scratch directory (after a run whose node died mid-way); nothing there is fine. */
    async removeRestoreTestScratch(input: { node: string; scratch: string | null; runId: string }): Promise<string> {
      if (input.node !== deps.node)
        throw failure(`scratch removal for node ${input.node} reached ${deps.node}`, 'WrongNode');
      const dir = scratchDirOf(deps, input.scratch, input.runId);
      await rm(dir, { recursive: true, force: true });
      return dir;
    },
  };
}

async function runRestoreTest(deps: RestoreTestActivityDeps, req: RestoreTestRequest): Promise<RestoreTestOutcome> {
  if (req.node !== deps.node) {
    throw failure(
      `the restore test ${req.runId} was sent to node ${deps.node} but is for node ${req.node}`,
      'WrongNode',
    );
  }
  if (req.scratch !== null && !isAbsolute(req.scratch)) {
    throw failure(`restoreTest.scratch ${req.scratch} is not an absolute path; fix it in baton.yaml`, 'BadTarget');
  }
  checkAllowedPaths(deps.allowed, deps.node, `drive ${req.source.drive}'s path`, [req.source.drivePath]);
  const ctx = Context.current();
  const scratchDir = scratchDirOf(deps, req.scratch, req.runId);
  const log = deps.logger.child({ restoreTest: req.runId, app: req.app, snapshot: req.source.snapshotId.slice(0, 12) });
  log.info({ scratchDir, sample: req.sample, seed: req.seed }, 'restore test starting');
  let last: Partial<ProgressCounters> = {};
  const beat = () =>
    ctx.heartbeat({ files: last.files ?? 0, bytes: last.bytes ?? 0, currentPath: last.currentPath ?? null });
  const timer = setInterval(beat, 1000);
  try {
    const drive = await openDrive(req.source.drivePath, { password: deps.password });
    const report = await testRestore({
      drive,
      password: deps.password,
      snapshotId: req.source.snapshotId,
      scratchDir,
      sample: req.sample,
      seed: req.seed,
      signal: ctx.cancellationSignal,
      progress: { update: (c) => (last = { ...c }) },
      rateLimit: req.rateLimit,
    });
    log.info({ files: report.files, bytes: report.bytes, difference: report.difference }, 'restore test finished');
    return {
      node: deps.node,
      scratchDir,
      files: report.files,
      bytes: report.bytes,
      totalFiles: report.totalFiles,
      sampled: report.sampled.slice(0, SAMPLE_SHOWN),
      difference: report.difference,
    };
  } catch (err) {
    if (ctx.cancellationSignal.aborted && err instanceof AbortedError) {
      log.info('restore test cancelled');
      throw new CancelledFailure(`restore test ${req.runId} on ${deps.node} cancelled`);
    }
    log.warn({ err }, 'restore test failed');
    throw restoreFailure(err, { node: deps.node, drive: req.source.drive, target: scratchDir });
  } finally {
    clearInterval(timer);
  }
}

/** The catalog's side, on the coordinator queue. */
export function createRestoreTestCatalogActivities(db: Catalog) {
  const now = () => new Date().toISOString();
  return {
    async recordRestoreTestStarted(run: RestoreTestStart): Promise<void> {
      await restoreTestStarted(db, run, now());
    },
    /** Records the end; a failure counts once in baton_restore_test_failures_total, however often this is retried. */
    async recordRestoreTestFinished(end: RestoreTestEnd & { cluster: string; app: string }): Promise<void> {
      const changed = await restoreTestFinished(db, end, now());
      if (changed && end.state === 'failed') recordRestoreTestFailed(end.cluster, end.app);
    },
  };
}

export type RestoreTestActivities = ReturnType<typeof createRestoreTestActivities>;
export type RestoreTestCatalogActivities = ReturnType<typeof createRestoreTestCatalogActivities>;
