/**
 * Stores files. `start` runs as the walk reaches a file, ahead of its turn: the file's content comes
 * from the file cache or an earlier link, or its reading starts (small files as one job in a batch,
 * larger ones through a reader of their own). `save` runs in walk order: it takes the sealed chunks,
 * puts new ones in packs, checkpoints at chunk boundaries, and makes the file's node.
 */
import { lstat } from 'node:fs/promises';
import type { EntryStats } from './entry-stats';
import type { Tally, Report } from './backup-tally';
import { pathText } from './backup-tally';
import type { Checkpointer } from './checkpointer';
import { throwIfAborted } from './errors';
import type { FileCache } from './file-cache';
import { FileReader } from './file-reader';
import { Hardlinks } from './hardlinks';
import type { PackWriter } from './pack-writer';
import type { RateLimiter } from './rate-limit';
import type { SealResult } from './seal-worker';
import type { SmallFileBatcher } from './small-file-batcher';
import { makeNode } from './tree';
import type { TreeNode } from './tree';
import type { UsedPacks } from './used-packs';
import type { WalkEvent } from './walker';
import type { WorkerPool } from './worker-pool';

/** sealed bytes one file may have waiting, and all files read ahead together */
const READER_AHEAD = 16 * 1024 * 1024;
const SMALL_FILE = 256 * 1024;

export type FileEvent = Extract<WalkEvent, { t: 'file' }>;

/** A file walked, with what was started for it. */
export interface PendingFile {
  ev: FileEvent;
  /** a file larger than SMALL_FILE (or resumed mid-file): its reader */
  reader?: FileReader;
  /** a small file: its job's result, from a batch of many */
  small?: Promise<SealResult>;
  /** the small-file batch its job went into */
  batchNo?: number;
  /** bytes of it that may wait read ahead (see look-ahead.ts); unset when nothing is read */
  readAhead?: number;
  /** its content, unchanged since the file cache or an earlier link recorded it */
  cached?: string[];
  /** the file's key in the file cache */
  cacheKey?: Buffer;
}

/** A file being saved: its content so far and where it is in the file. */
interface Saving {
  ev: FileEvent;
  content: string[];
  offset: number;
  /** the file's fstat from a job that read it to the end */
  stat?: SealResult['stat'];
}

export interface FileSaverDeps {
  pool: WorkerPool;
  writer: PackWriter;
  cache: FileCache | null;
  used: UsedPacks;
  batcher: SmallFileBatcher;
  checkpointer: Pick<Checkpointer, 'count' | 'maybe'>;
  tally: Tally;
  report: Report;
  limiter: RateLimiter | null;
  signal?: AbortSignal;
  /** plaintext bytes per worker job */
  segment: number;
}

export class FileSaver {
  private readonly links = new Hardlinks();

  constructor(private readonly d: FileSaverDeps) {}

  /** Starts a file as the walk reaches it. */
  start(ev: FileEvent): PendingFile {
    const { cache, writer, segment } = this.d;
    const item: PendingFile = { ev };
    const link = this.links.seen(ev.st);
    if (cache) item.cacheKey = cache.key(ev.path, ev.st);
    const cached = ev.partial ? null : (link ?? (item.cacheKey && cache?.lookup(item.cacheKey)) ?? null);
    if (cached && cached.every((id) => writer.has(id))) {
      item.cached = cached;
    } else if (ev.st.size > 0n || ev.partial) {
      const size = Number(ev.st.size);
      if (!ev.partial && size <= SMALL_FILE) {
        // small files: no reader of their own, one job in a batch of many
        item.small = this.d.batcher.add(size, {
          path: ev.path.toString('latin1'),
          dev: ev.st.dev,
          ino: ev.st.ino,
          offset: 0,
          target: segment,
          stat: true,
        });
        item.small.catch(() => undefined);
        item.batchNo = this.d.batcher.filling;
      } else {
        const offset = ev.partial?.offset ?? 0;
        item.reader = new FileReader(
          this.d.pool,
          ev.path,
          ev.st,
          offset,
          size - offset <= segment,
          segment,
          READER_AHEAD,
        );
        item.reader.pump();
      }
      item.readAhead = Math.min(size, READER_AHEAD);
    }
    return item;
  }

  /** Stores the file (its look-ahead already released); null when it could not be read. */
  async save(item: PendingFile): Promise<TreeNode | null> {
    const ev = item.ev;
    if (item.cached) return this.saveCached(item, item.cached);
    const { tally, pool } = this.d;
    const file: Saving = { ev, content: ev.partial ? [...ev.partial.content] : [], offset: ev.partial?.offset ?? 0 };
    if (ev.partial && (ev.partial.mtimeNs !== ev.st.mtimeNs.toString() || ev.partial.size !== Number(ev.st.size))) {
      tally.warnings.push({ path: pathText(ev.path), message: 'file changed between checkpoint and resume' });
    }
    const parts = item.small ? this.smallParts(item, item.small) : item.reader;
    if (parts) {
      this.d.batcher.sendIfFilling(item.batchNo); // its job may still wait in the batch
      for (let res = await parts.next(); res; res = await parts.next()) {
        if (res.stat) file.stat = res.stat;
        if (res.error) {
          tally.errors.push({ path: pathText(ev.path), message: res.error.message });
          return null;
        }
        await this.store(file, res);
        // the sealed bytes are in the pack buffer now: a segment's result buffer can be filled again
        if (item.reader) pool.recycle(res.data.buffer);
        throwIfAborted(this.d.signal, 'backup');
        // the limit is on reading the app's data, so it counts plaintext, sealed or not
        if (this.d.limiter) {
          await this.d.limiter.take(
            res.chunks.reduce((n, c) => n + c.rawLength, 0),
            this.d.signal,
          );
        }
        if (!res.eof) this.d.report(ev.path, file.offset); // a large file: progress (and liveness) within it
      }
    }
    file.stat ??= item.reader?.stat;
    return this.finish(item, file);
  }

  private saveCached(item: PendingFile, content: string[]): TreeNode {
    const { ev } = item;
    const stats = this.d.tally.stats;
    for (const id of content) this.d.used.use(id);
    stats.cachedFiles++;
    stats.files++;
    stats.bytes += Number(ev.st.size);
    if (item.cacheKey) this.d.cache?.record(item.cacheKey, content);
    return makeNode(ev.name, 'file', ev.st, { content });
  }

  /**
   * A small file's parts: its batched job's result, then (only if the file grew past one segment
   * while it was read) a reader for the rest. The result's stat is kept only when it read to the end.
   */
  private smallParts(item: PendingFile, first: Promise<SealResult>): { next: () => Promise<SealResult | null> } {
    let pending: Promise<SealResult> | null = first;
    return {
      next: async () => {
        if (pending) {
          const res = await pending;
          pending = null;
          if (res.error || res.eof) return res;
          const { pool, segment } = this.d;
          item.reader = new FileReader(
            pool,
            item.ev.path,
            item.ev.st,
            res.nextOffset ?? 0,
            false,
            segment,
            READER_AHEAD,
          );
          item.reader.pump();
          return { ...res, stat: undefined };
        }
        return item.reader ? item.reader.next() : null;
      },
    };
  }

  /** Puts a part's new chunks in packs and adds all to the content, with a checkpoint chance after each. */
  private async store(file: Saving, res: SealResult): Promise<void> {
    const { writer, tally, used, checkpointer } = this.d;
    const ev = file.ev;
    const data = Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength);
    for (const c of res.chunks) {
      if (!writer.has(c.id)) {
        // workers skip only IDs in the writer's own table, which never loses one
        if (c.known) throw new Error(`bug: chunk ${c.id} was skipped as known but the backup does not have it`);
        const adding = writer.add('data', {
          id: c.id,
          data: data.subarray(c.start, c.start + c.length),
          rawLength: c.rawLength,
          compressed: c.compressed,
        });
        if (adding) await adding;
        tally.stats.newBytes += c.rawLength;
        tally.stats.newChunks++;
      }
      file.content.push(c.id);
      used.use(c.id);
      checkpointer.count(c.rawLength);
      file.offset += c.rawLength;
      // mid-file checkpoint (interval or volume change) at this chunk boundary
      const at = file.offset;
      const checkpointing = checkpointer.maybe(() => ({
        name: ev.name.toString('hex'),
        offset: at,
        content: file.content.slice(),
        mtimeNs: ev.st.mtimeNs.toString(),
        size: Number(ev.st.size),
      }));
      if (checkpointing) await checkpointing;
    }
  }

  /** Checks the file did not change while it was read, records its content, and makes its node. */
  private async finish(item: PendingFile, { ev, content, offset, stat }: Saving): Promise<TreeNode> {
    const { tally, cache } = this.d;
    const after = stat ?? (await lstat(ev.path, { bigint: true }).catch(() => null));
    if (changedSince(ev.st, after) || BigInt(offset) !== ev.st.size) {
      tally.warnings.push({
        path: pathText(ev.path),
        message: 'file changed while it was read; the stored content may mix old and new data',
      });
    } else if (item.cacheKey) {
      cache?.record(item.cacheKey, content);
    }
    this.links.stored(ev.st, content);
    tally.stats.files++;
    tally.stats.bytes += offset;
    return makeNode(ev.name, 'file', ev.st, { size: offset, content });
  }
}

function changedSince(st: EntryStats, after: { size: bigint; mtimeNs: bigint; ctimeNs: bigint } | null): boolean {
  return !after || after.size !== st.size || after.mtimeNs !== st.mtimeNs || after.ctimeNs !== st.ctimeNs;
}
