/**
 * Checkpoints of a running backup: when one is due (an interval, a volume of new data, or a new
 * tape volume) and what it holds. Each one first makes everything it lists durable (packs, index),
 * so a resume from it never misses data, and rewrites a resumed backup's provisional refs on the
 * checkpoint's other drives to list its packs there (lock-set.ts), so a pack first used there since
 * the last one is pinned before the checkpoint that lists it is handed on. The same calls refresh
 * the drive locks now and then.
 */
import type { Checkpoint, CheckpointFrame, CheckpointPartial } from './checkpoint';
import type { CheckpointDrive } from './checkpoint';
import { StoppedError } from './errors';
import type { BackupLocks } from './lock-set';
import type { PackWriter } from './pack-writer';
import type { Tally } from './backup-tally';
import type { Frame, TreeSaver } from './tree-saver';
import type { TreeNode } from './tree';
import type { UsedPacks } from './used-packs';

export const LOCK_REFRESH_MS = 5 * 60 * 1000;
/** open directories with more finished entries than this are stored as partial tree blobs at checkpoints */
export const INLINE_NODES = 64;

/** When the next checkpoint and lock refresh are due. */
export class CheckpointSchedule {
  private lastCp: number;
  private lastRefresh: number;
  private bytes = 0;

  constructor(
    private readonly everyMs: number,
    private readonly everyBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastCp = this.lastRefresh = now();
  }

  /** Counts plaintext bytes stored since the last checkpoint. */
  count(bytes: number): void {
    this.bytes += bytes;
  }

  /** A checkpoint is due after the interval, after enough bytes, or at once when a new volume started. */
  due(volumeChanged: boolean): boolean {
    return volumeChanged || this.now() - this.lastCp >= this.everyMs || this.bytes >= this.everyBytes;
  }

  checkpointed(): void {
    this.lastCp = this.now();
    this.bytes = 0;
  }

  lockDue(): boolean {
    return this.now() - this.lastRefresh > LOCK_REFRESH_MS;
  }

  lockRefreshed(): void {
    this.lastRefresh = this.now();
  }
}

/**
 * The open directories as checkpoint frames: large ones go to the drive as partial tree blobs, so a
 * checkpoint stays small.
 */
export async function checkpointFrames(
  frames: Frame[],
  save: (nodes: TreeNode[]) => Promise<string>,
): Promise<CheckpointFrame[]> {
  const out: CheckpointFrame[] = [];
  for (const f of frames) {
    const inline = f.nodes.length <= INLINE_NODES;
    out.push({
      name: f.name === null ? null : f.name.toString('hex'),
      node: f.node,
      nodes: inline ? f.nodes : [],
      nodesTree: inline ? undefined : await save(f.nodes),
      last: f.last?.toString('hex'),
    });
  }
  return out;
}

export interface CheckpointerDeps {
  schedule: CheckpointSchedule;
  lock: Pick<BackupLocks, 'refresh' | 'throwIfLost' | 'repin'>;
  writer: PackWriter;
  trees: TreeSaver;
  used: UsedPacks;
  /** the checkpoint's drives, their pack lists kept current by `used` */
  drives: CheckpointDrive[];
  tally: Tally;
  /** what every checkpoint of this backup repeats */
  backup: Pick<Checkpoint, 'backupId' | 'startedAt' | 'sources' | 'app'>;
  /** packs written by the runs before this one (resumed from) */
  packsBefore: number;
  /** the resumed checkpoint's seq, or 0 */
  seq: number;
  onCheckpoint?: (cp: Checkpoint) => Promise<void> | void;
  /** BackupOptions.stopSignal: checkpoint at the next chance, then stop */
  stop?: AbortSignal;
}

export class Checkpointer {
  private seq: number;

  constructor(private readonly d: CheckpointerDeps) {
    this.seq = d.seq;
  }

  /** Counts plaintext bytes stored, towards the next checkpoint. */
  count(bytes: number): void {
    this.d.schedule.count(bytes);
  }

  /**
   * Emits a checkpoint if one is due; `partialOf` gives the file being read, at a chunk boundary.
   * Once `stop` has fired, emits one at once and then throws StoppedError.
   */
  maybe(partialOf?: () => CheckpointPartial): Promise<void> | undefined {
    const { schedule, onCheckpoint } = this.d;
    this.d.lock.throwIfLost(); // a lock lost on the refresh timer stops the walk here
    // the usual case, nothing to do, costs no promise: this runs after every chunk and entry
    const stopping = this.d.stop?.aborted === true;
    if (!stopping && !schedule.lockDue() && (!onCheckpoint || !schedule.due(this.d.writer.volumeChanged))) return;
    return this.maybeNow(partialOf);
  }

  private async maybeNow(partialOf?: () => CheckpointPartial): Promise<void> {
    const { schedule, writer, tally, onCheckpoint } = this.d;
    if (schedule.lockDue()) {
      await this.d.lock.refresh();
      schedule.lockRefreshed();
    }
    const stopping = this.d.stop?.aborted === true;
    if (!onCheckpoint) {
      if (stopping) throw new StoppedError(null);
      return;
    }
    const volume = writer.volumeChanged;
    if (!stopping && !schedule.due(volume)) return;
    const partial = partialOf?.();
    const frames = await checkpointFrames(this.d.trees.frames, (nodes) => this.d.trees.save(nodes));
    await writer.writeIndex();
    this.d.used.resolve();
    await this.d.lock.repin(); // the packs listed below, pinned on the other drives first
    writer.volumeChanged = false;
    tally.stats.packs = writer.packsWritten + this.d.packsBefore;
    const cp: Checkpoint = {
      version: 1,
      backupId: this.d.backup.backupId,
      seq: ++this.seq,
      time: new Date().toISOString(),
      startedAt: this.d.backup.startedAt,
      sources: this.d.backup.sources,
      app: this.d.backup.app,
      frames,
      partial,
      drives: this.d.drives,
      stats: tally.stats,
      errors: tally.errors,
      warnings: tally.warnings,
      reason: stopping ? 'stop' : volume ? 'volume-change' : 'interval',
    };
    await onCheckpoint(JSON.parse(JSON.stringify(cp)) as Checkpoint);
    schedule.checkpointed();
    if (stopping) throw new StoppedError(cp.seq);
  }
}
