/**
 * The node's backup service, retention side: on a drive this node sees, forget the snapshots each
 * app's keep policy does not keep (never one a running restore reads), prune the data only they
 * used, then mark in the catalog every snapshot of those apps that the drive no longer holds. The
 * catalog is written only after the drive's forget and prune succeeded, and from what the drive
 * holds then, so a retry after a failed catalog write finishes the marking; and a run that finds
 * such snapshots before it starts (a forget whose prune was cut short: the node killed mid-way)
 * prunes even when it forgets nothing itself, so the space (tape volumes) is freed. The drive's exclusive lock keeps
 * forget and prune from running beside a backup, restore or verify: they refuse (DriveLocked,
 * retryable) and the activity tries again later.
 */
import { Context } from '@temporalio/activity';
import { heartbeatEvery } from './heartbeat-timer';
import type { Logger } from 'pino';
import {
  EngineError,
  LockedError,
  forget,
  listSnapshots,
  openDrive,
  prune,
  type Drive,
  type PruneResult,
} from '../engine';
import type { Catalog } from '../catalog/open';
import { liveSnapshotIds, markForgotten, snapshotsInRestore } from '../catalog/snapshots';
import type { RetentionOutcome, RetentionRequest } from '../model/operations';
import { failure } from './failure';
import { recordFreeVolumes } from '../metrics/node-metrics';
import { readPool } from '../engine/tape-volumes';
import { checkAllowedPaths, type AllowedRoots } from './allowed-roots';

export interface RetentionActivityDeps {
  node: string;
  logger: Logger;
  catalog: Catalog;
  /** The drives' passphrase; undefined only when encryption is off. */
  password: string | undefined;
  /** Ms between heartbeats while the engine works (default 1000). */
  heartbeatEveryMs?: number;
  /** The roots this node's own config lets the plan point it at (nodes[].allowedRoots); unset: no check. */
  allowed?: AllowedRoots;
}

export function createRetentionActivities(deps: RetentionActivityDeps) {
  return {
    /** Applies the apps' keep policies on the request's drive; see the file's comment. */
    applyRetention(req: RetentionRequest): Promise<RetentionOutcome> {
      return applyRetention(deps, req);
    },
  };
}

async function applyRetention(deps: RetentionActivityDeps, req: RetentionRequest): Promise<RetentionOutcome> {
  if (req.node !== deps.node) {
    throw failure(
      `the retention ${req.jobId} was sent to node ${deps.node} but is for node ${req.node}; ` +
        "the workflow must route it to that node's queue",
      'WrongNode',
    );
  }
  checkAllowedPaths(deps.allowed, deps.node, `drive ${req.drive.name}'s path`, [req.drive.path]);
  const ctx = Context.current();
  const started = Date.now();
  const log = deps.logger.child({ job: req.jobId, drive: req.drive.name });
  const stopBeating = heartbeatEvery(1000, { summary: `retention on drive ${req.drive.name}` });
  try {
    const drive = await openDrive(req.drive.path, { password: deps.password });
    // snapshots the catalog still lists that the drive no longer holds: a forget whose prune (or
    // whose catalog marking) did not finish, e.g. its node was killed; this run prunes for it
    const unfinished = await goneFromDrive(deps, req, drive);
    const protect = await snapshotsInRestore(deps.catalog);
    const kept: string[] = [];
    const forgotten: string[] = [];
    for (const { app, keep } of req.apps) {
      const plan = await forget({ drive, policy: keep, app, protect, password: deps.password });
      kept.push(...plan.keep.filter((s) => s.snapshot.app === app).map((s) => s.id));
      forgotten.push(...plan.remove.map((s) => s.id));
      log.info({ app, kept: plan.keep.length, forgotten: plan.remove.length }, 'retention forgot');
    }
    if (unfinished.length > 0) {
      log.info({ unfinished: unfinished.length }, 'retention finishes the prune of an earlier forget');
    }
    const pruned: PruneResult | null =
      forgotten.length > 0 || unfinished.length > 0
        ? await prune({ drive, password: deps.password, signal: ctx.cancellationSignal })
        : null;
    const catalogMarked = await markGone(deps, req, drive);
    log.info(
      {
        forgotten: forgotten.length,
        catalogMarked,
        bytesFreed: pruned?.bytesFreed ?? 0,
        tempFilesRemoved: pruned?.tempFilesRemoved ?? 0,
        tempBytesRemoved: pruned?.tempBytesRemoved ?? 0,
      },
      'retention done',
    );
    return {
      drive: req.drive.name,
      node: deps.node,
      kept,
      forgotten,
      catalogMarked,
      packsDeleted: pruned?.packsDeleted ?? 0,
      bytesFreed: pruned?.bytesFreed ?? 0,
      packsDropped: pruned?.packsDropped ?? 0,
      ...(await tapeVolumes(req, drive, pruned)),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    log.warn({ err }, 'retention failed');
    throw retentionFailure(err, req);
  } finally {
    stopBeating();
  }
}

/** Tape: volumes recycled and free after the prune (the pool file when there was none), as a gauge too. */
async function tapeVolumes(
  req: RetentionRequest,
  drive: Drive,
  pruned: PruneResult | null,
): Promise<Pick<RetentionOutcome, 'volumesRecycled' | 'volumesFree'>> {
  const tape = drive.config.tape;
  if (!tape) return {};
  const free = pruned ? pruned.volumesFree : (await readPool(drive.path, tape.volumes)).pool.free.length;
  recordFreeVolumes(req.cluster, req.drive.name, free);
  return { volumesRecycled: pruned?.volumesRecycled ?? 0, volumesFree: free };
}

/**
 * Marks forgotten every catalog snapshot of the request's apps on its drive that the drive no
 * longer holds. The rows are read before `onDrive` is compared, and a row is written only after its
 * snapshot is on the drive, so a backup committing meanwhile is never marked.
 */
async function markGone(deps: RetentionActivityDeps, req: RetentionRequest, drive: Drive): Promise<number> {
  const gone = await goneFromDrive(deps, req, drive);
  return markForgotten(deps.catalog, gone, req.jobId, new Date().toISOString());
}

/** Live catalog snapshots of the request's apps on its drive that the drive no longer holds. */
async function goneFromDrive(deps: RetentionActivityDeps, req: RetentionRequest, drive: Drive): Promise<string[]> {
  const rows: string[] = [];
  for (const { app } of req.apps) rows.push(...(await liveSnapshotIds(deps.catalog, app, req.drive.name)));
  const onDrive = new Set((await listSnapshots(drive)).map((s) => s.id));
  return rows.filter((id) => !onDrive.has(id));
}

function retentionFailure(err: unknown, req: RetentionRequest): unknown {
  if (err instanceof LockedError) {
    return failure(`${err.message} (retention on drive ${req.drive.name} tries again)`, 'DriveLocked', {
      retryable: true,
    });
  }
  if (err instanceof EngineError && ['NO_DRIVE', 'MISSING_DRIVE', 'WRONG_DRIVE'].includes(err.code)) {
    return failure(
      `${err.message} (node ${req.node}; check that drive ${req.drive.name}'s storage is mounted there)`,
      'DriveUnavailable',
    );
  }
  if (err instanceof EngineError) return failure(err.message, err.code);
  return err;
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
