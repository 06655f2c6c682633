/**
 * The archiver: walks the sources in a deterministic order, stores file chunks and trees through
 * the pack writer, emits checkpoints, and commits one snapshot at the end. Resuming from a
 * checkpoint (possibly on another drive) continues the same walk, so the result is the snapshot an
 * uninterrupted run would have made.
 *
 * backup() sets up and tears down; the work is in pieces: the walk (backup-walk.ts) hands entries
 * to the tree saver (tree-saver.ts) and the file saver (file-saver.ts, with small-file-batcher.ts
 * and look-ahead.ts), the checkpointer (checkpointer.ts) records the walk position, and
 * backup-commit.ts writes the snapshot.
 */
import { join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Drive } from './drive';
import { BlobIndex } from './index-file';
import { PackWriter } from './pack-writer';
import { WorkerPool } from './worker-pool';
import { DEFAULT_WORKERS } from './worker-start';
import { RateLimiter } from './rate-limit';
import type { BackupStats, SnapshotError } from './snapshot';
import type { Checkpoint } from './checkpoint';
import { validateCheckpoint } from './checkpoint';
import { walkListing } from './walker';
import { FileCache, defaultCachePath } from './file-cache';
import { Lock } from './lock';
import { BackupLocks } from './lock-set';
import { AbortedError, EngineError, LockLostError, throwIfAborted } from './errors';
import { noopProgress } from './progress';
import type { ProgressReporter } from './progress';
import { newTally, progressReport } from './backup-tally';
import { UsedPacks } from './used-packs';
import { TreeSaver } from './tree-saver';
import { CheckpointSchedule, Checkpointer } from './checkpointer';
import { SmallFileBatcher } from './small-file-batcher';
import { FileSaver } from './file-saver';
import { BackupWalk } from './backup-walk';
import { commitSnapshot } from './backup-commit';
import { checkpointDrives, readPartialTrees } from './checkpoint-resume';
import { excludedPaths, rootListing } from './source-listing';
import type { WalkAhead } from './walk-ahead';

export interface BackupOptions {
  drive: Drive;
  sources: string[] | string;
  app?: string;
  /** file cache location; null disables it; default under ~/.cache/baton/files (or BATON_CACHE_DIR) */
  cachePath?: string | null;
  /** defaults 15 s / 256 MiB */
  checkpointEvery?: { seconds?: number; bytes?: number };
  onCheckpoint?: (cp: Checkpoint) => Promise<void> | void;
  resumeFrom?: Checkpoint;
  /** drives named in resumeFrom that the caller already opened; others are opened by path with `password` */
  otherDrives?: Drive[];
  password?: string;
  signal?: AbortSignal;
  /**
   * Stop with a checkpoint: once this fires, the backup takes a checkpoint at the next point one can
   * be taken (after the file, or the chunk of a big file, in hand), then throws StoppedError; without
   * onCheckpoint it throws at that point. `signal` stops at once, without a checkpoint.
   */
  stopSignal?: AbortSignal;
  progress?: ProgressReporter;
  /** fencing hook: called before each pack write and before the snapshot commit; a throw aborts */
  beforeWrite?: () => Promise<void>;
  /** worker threads for chunking/compression/encryption (default 2) */
  workers?: number;
  /** plaintext bytes per worker job, also the granularity of mid-file checkpoints (default 32 MiB) */
  segmentSize?: number;
  /** bytes per second the backup may process (the app's bandwidth limit); absent or 0: no limit */
  rateLimit?: number;
  /**
   * The walk of `sources`, begun before the drive was opened (walk-ahead.ts): the backup takes its
   * events instead of listing the sources itself, and stops it when it ends. Ignored (stopped) when
   * resuming a checkpoint.
   */
  walkAhead?: WalkAhead;
}

export interface BackupResult {
  snapshotId: string;
  incomplete: boolean;
  stats: BackupStats;
  errors: SnapshotError[];
  warnings: SnapshotError[];
}

const DEFAULT_SEGMENT = 8 * 1024 * 1024;

/** What backup() closes when it ends, however it ends. */
interface Held {
  pool: WorkerPool | null;
  cache: FileCache | null;
}

export async function backup(opts: BackupOptions): Promise<BackupResult> {
  try {
    return await lockedBackup(opts);
  } finally {
    opts.walkAhead?.stop(); // a walk begun for this backup ends with it, however it ends
  }
}

async function lockedBackup(opts: BackupOptions): Promise<BackupResult> {
  const drive = opts.drive;
  const signal = opts.signal;
  throwIfAborted(signal, 'backup');
  const resume = opts.resumeFrom ? validateCheckpoint(structuredClone(opts.resumeFrom)) : null;
  const sources = resume
    ? resume.sources
    : (Array.isArray(opts.sources) ? opts.sources : [opts.sources]).map((s) => resolve(s));
  if (sources.length === 0) throw new EngineError('nothing to back up: no source path given', 'BAD_SOURCE');
  if (!resume && opts.walkAhead && opts.walkAhead.sources.join('\0') !== sources.join('\0'))
    throw new EngineError('bug: the walk ahead lists other sources than the backup', 'BAD_SOURCE');

  // a tape is appended to by one writer at a time: backups take its lock exclusively
  const lock = new BackupLocks(drive, await Lock.acquire(drive, drive.kind === 'tape', 'backup'));
  const held: Held = { pool: null, cache: null };
  const onAbort = (): void => void held.pool?.close();
  signal?.addEventListener('abort', onAbort);
  try {
    return await archive(opts, resume, sources, lock, held);
  } catch (err) {
    throw await lockLostOr(lock, drive, err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    held.cache?.discard();
    await held.pool?.close();
    await drive.packs.sync().catch(() => undefined); // settle background pack writes
    await lock.release().catch(() => undefined);
  }
}

/**
 * The error a failed backup reports: its lock's loss when the lock no longer stands, else `err`.
 * A backup paused past its stale age (SIGSTOP, a hung mount) may find on waking that prune took its
 * lock and swept its half-written pack (stale-temps.ts) before its refresh timer noticed: the
 * rename's ENOENT is only the symptom, the lost lock the cause the operator must read.
 */
async function lockLostOr(lock: BackupLocks, drive: Drive, err: unknown): Promise<unknown> {
  if (err instanceof LockLostError) return err;
  try {
    await lock.check();
  } catch (lost) {
    // a drive that went away (unmounted mid-backup) took its lock with it: its own error says more
    const driveStands = await stat(join(drive.path, 'config')).then(
      () => true,
      () => false,
    );
    if (lost instanceof LockLostError && driveStands) return lost;
  }
  return err;
}

/** What the backup reads and writes, opened in this order (a resumed checkpoint's drives first). */
async function openStores(opts: BackupOptions, resume: Checkpoint | null, held: Held, lock: BackupLocks) {
  const { drive, signal } = opts;
  const index = await BlobIndex.load(drive);
  const opened = new Map<string, Drive>([[drive.id, drive]]);
  for (const d of opts.otherDrives ?? []) opened.set(d.id, d);
  const drives = await checkpointDrives(drive, resume, index, opened, opts.password, lock);
  if (resume) await readPartialTrees(resume, index);
  const pool = (held.pool = new WorkerPool(drive.key, opts.workers ?? DEFAULT_WORKERS, {
    known: index.table,
    level: drive.compressionLevel,
    version: drive.config.version,
    ids: drive.ids,
  }));
  // packs are hashed by the workers once they run (a re-run that reads no file starts none for it)
  const writer = new PackWriter(drive, index, opts.beforeWrite, lock, (memory, length) =>
    pool.threads > 0 ? pool.hash(memory, length) : null,
  );
  index.onTableGrown((table) => pool.setKnown(table));
  if (signal?.aborted) throw new AbortedError('backup');
  const cachePath = opts.cachePath === null ? null : resolve(opts.cachePath ?? defaultCachePath(drive.id, opts.app));
  const cache = (held.cache = cachePath === null ? null : await FileCache.load(cachePath, drive.id, index));
  return { index, opened, drives, writer, pool, cachePath, cache };
}

/** The backup under its lock: opens what it uses (into `held`), puts the pieces together, walks, and commits. */
async function archive(
  opts: BackupOptions,
  resume: Checkpoint | null,
  sources: string[],
  lock: BackupLocks,
  held: Held,
): Promise<BackupResult> {
  const { drive, signal, app } = opts;
  const { index, opened, drives, writer, pool, cachePath, cache } = await openStores(opts, resume, held, lock);
  const tally = newTally(resume);
  const schedule = new CheckpointSchedule(
    (opts.checkpointEvery?.seconds ?? 15) * 1000,
    opts.checkpointEvery?.bytes ?? 256 * 1024 * 1024,
  );
  const backupId = resume ? resume.backupId : randomBytes(12).toString('hex');
  const startedAt = resume ? resume.startedAt : new Date().toISOString();
  const ahead = resume ? null : (opts.walkAhead ?? null);
  const root = ahead ? await ahead.ready().then(() => null) : await rootListing(sources);

  const used = new UsedPacks(index, writer, drives);
  const trees = new TreeSaver(writer, used, resume?.frames[0]);
  const packsBefore = resume?.stats.packs ?? 0;
  const checkpointer = new Checkpointer({
    schedule,
    lock,
    writer,
    trees,
    used,
    drives,
    tally,
    backup: { backupId, startedAt, sources, app },
    packsBefore,
    seq: resume ? resume.seq : 0,
    onCheckpoint: opts.onCheckpoint,
    stop: opts.stopSignal,
  });
  const report = progressReport(opts.progress ?? noopProgress, tally);
  const batcher = new SmallFileBatcher(pool);
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit) : null;
  const segment = opts.segmentSize ?? DEFAULT_SEGMENT;
  const files = new FileSaver({
    pool,
    writer,
    cache,
    used,
    batcher,
    checkpointer,
    tally,
    report,
    limiter,
    signal,
    segment,
  });
  const exclude = excludedPaths(opened.values(), cachePath, cache);
  const events = root
    ? walkListing(root.entries, 0, resume, exclude)[Symbol.asyncIterator]()
    : (ahead as WalkAhead).events(exclude);
  await new BackupWalk({ events, trees, files, batcher, checkpointer, tally, report, signal }).run();

  const beforeWrite = opts.beforeWrite;
  const commit = {
    drive,
    lock,
    opened,
    writer,
    trees,
    used,
    drives,
    tally,
    packsBefore,
    sources,
    app,
    beforeWrite,
    signal,
  };
  const { snapshotId, snapshot } = await commitSnapshot(commit);
  await cache?.save(resume !== null).catch(() => undefined);
  report();
  return { snapshotId, incomplete: snapshot.incomplete, ...tally };
}

/**
 * Continues the backup recorded in `checkpoint` (from any process) on `opts.drive`, which may be
 * another drive than the one it started on; the result is one snapshot, as if never interrupted.
 */
export function resume(
  checkpoint: Checkpoint,
  opts: Omit<BackupOptions, 'resumeFrom' | 'sources'>,
): Promise<BackupResult> {
  return backup({ ...opts, sources: checkpoint.sources, resumeFrom: checkpoint });
}
