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
import type { SealResult, SealedChunk } from './seal-worker';
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
  /** that result, set as it arrives (so the file can be stored without waiting on the promise) */
  smallResult?: SealResult;
  /** the small-file batch its job went into */
  batchNo?: number;
  /** bytes of it that may wait read ahead (see look-ahead.ts); unset when nothing is read */
  readAhead?: number;
  /** its content, unchanged since an earlier link of it in this run was stored */
  cached?: string[];
  /** its content, unchanged since the file cache recorded it: blob index entries (FileCache.lookup) */
  cachedEntries?: number[];
  /** the file's key in the file cache */
  cacheKey?: Buffer;
}

/** What a file's stat after reading it is compared on. */
type StatAfter = Pick<EntryStats, 'size' | 'mtimeNs' | 'ctimeNs'>;

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
    if (!ev.partial && link) {
      if (link.every((id) => writer.has(id))) item.cached = link;
    } else if (!ev.partial && item.cacheKey) {
      // entries of written packs: the drive has them for this backup's lifetime (it holds its lock)
      item.cachedEntries = cache?.lookup(item.cacheKey) ?? undefined;
    }
    const known = item.cached !== undefined || item.cachedEntries !== undefined;
    if (!known && (ev.st.size > 0n || ev.partial)) {
      const size = Number(ev.st.size);
      if (!ev.partial && size <= SMALL_FILE) {
        // small files: no reader of their own, one job in a batch of many
        item.small = this.d.batcher.add(
          size,
          {
            path: ev.path.toString('latin1'),
            dev: ev.st.dev,
            ino: ev.st.ino,
            offset: 0,
            target: segment,
            stat: true,
          },
          item,
        );
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

  /**
   * Stores the file (its look-ahead already released); null when it could not be read. A file whose
   * content is at hand (from the file cache or an earlier link, or a small file's result in) is
   * stored at once, without a promise, unless something has to wait (a pack write, a checkpoint):
   * in a tree of small files, most files.
   */
  save(item: PendingFile): TreeNode | null | Promise<TreeNode | null> {
    if (item.cached) return this.saveCached(item, item.cached);
    if (item.cachedEntries) return this.saveCachedEntries(item, item.cachedEntries);
    const res = item.smallResult;
    if (res && (res.error || res.eof) && !item.ev.partial && !this.d.limiter) return this.saveSmall(item, res);
    return this.saveParts(item);
  }

  /** A small file read to its end (or not at all) by its batched job. */
  private saveSmall(item: PendingFile, res: SealResult): TreeNode | null | Promise<TreeNode | null> {
    const ev = item.ev;
    if (res.error) {
      this.d.tally.errors.push({ path: pathText(ev.path), message: res.error.message });
      return null;
    }
    const file: Saving = { ev, content: [], offset: 0, stat: res.stat };
    const storing = this.store(file, res);
    if (storing) return storing.then(() => this.afterStore(item, file));
    return this.afterStore(item, file);
  }

  private afterStore(item: PendingFile, file: Saving): TreeNode | Promise<TreeNode> {
    throwIfAborted(this.d.signal, 'backup');
    return this.finish(item, file);
  }

  /** Stores a file part by part as its reader (or its batched job, then a reader) delivers them. */
  private async saveParts(item: PendingFile): Promise<TreeNode | null> {
    const ev = item.ev;
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
        const storing = this.store(file, res);
        if (storing) await storing;
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

  /** A file whose content an earlier link of it stored. */
  private saveCached(item: PendingFile, content: string[]): TreeNode {
    for (const id of content) this.d.used.use(id);
    if (item.cacheKey) this.d.cache?.record(item.cacheKey, content);
    return this.unchanged(item, content);
  }

  /**
   * A file the file cache found unchanged: its chunks by index entry, so that noting their packs and
   * recording it again take no lookup by ID (an unchanged re-run is mostly this).
   */
  private saveCachedEntries(item: PendingFile, entries: number[]): TreeNode {
    const cache = this.d.cache as FileCache;
    for (const e of entries) this.d.used.useEntry(e);
    cache.recordEntries(item.cacheKey as Buffer, entries);
    return this.unchanged(item, cache.idsOf(entries));
  }

  private unchanged(item: PendingFile, content: string[]): TreeNode {
    const { ev } = item;
    const stats = this.d.tally.stats;
    stats.cachedFiles++;
    stats.files++;
    stats.bytes += Number(ev.st.size);
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

  /**
   * Puts a part's new chunks in packs and adds all to the content, with a checkpoint chance after
   * each. Returns a promise only when something has to wait (a full pack's write, a checkpoint);
   * the chunks after it are stored once it settles.
   */
  private store(file: Saving, res: SealResult): Promise<void> | undefined {
    const data = Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength);
    for (let i = 0; i < res.chunks.length; i++) {
      const waiting = this.storeChunk(file, res.chunks[i], data);
      if (waiting) return this.storeRest(waiting, file, res, data, i + 1);
    }
    return undefined;
  }

  private async storeRest(
    waiting: Promise<void>,
    file: Saving,
    res: SealResult,
    data: Buffer,
    from: number,
  ): Promise<void> {
    await waiting;
    for (let i = from; i < res.chunks.length; i++) {
      const more = this.storeChunk(file, res.chunks[i], data);
      if (more) await more;
    }
  }

  /** One chunk: into a pack if new, then into the file's content; a promise when it has to wait. */
  private storeChunk(file: Saving, c: SealedChunk, data: Buffer): Promise<void> | undefined {
    const { writer, tally } = this.d;
    if (writer.has(c.id)) return this.chunkAdded(file, c);
    // workers skip only IDs in the writer's own table, which never loses one
    if (c.known) throw new Error(`bug: chunk ${c.id} was skipped as known but the backup does not have it`);
    const adding = writer.add('data', {
      id: c.id,
      data: data.subarray(c.start, c.start + c.length),
      rawLength: c.rawLength,
      compressed: c.compressed,
    });
    const added = (): Promise<void> | undefined => {
      tally.stats.newBytes += c.rawLength;
      tally.stats.newChunks++;
      return this.chunkAdded(file, c);
    };
    return adding ? adding.then(added) : added();
  }

  /** A chunk stored (or known): the file's content and offset, then a checkpoint if one is due. */
  private chunkAdded(file: Saving, c: SealedChunk): Promise<void> | undefined {
    const { used, checkpointer } = this.d;
    const ev = file.ev;
    file.content.push(c.id);
    used.use(c.id);
    checkpointer.count(c.rawLength);
    file.offset += c.rawLength;
    // mid-file checkpoint (interval or volume change) at this chunk boundary
    const at = file.offset;
    return checkpointer.maybe(() => ({
      name: ev.name.toString('hex'),
      offset: at,
      content: file.content.slice(),
      mtimeNs: ev.st.mtimeNs.toString(),
      size: Number(ev.st.size),
    }));
  }

  /** Checks the file did not change while it was read, records its content, and makes its node. */
  private finish(item: PendingFile, file: Saving): TreeNode | Promise<TreeNode> {
    if (file.stat) return this.made(item, file, file.stat);
    return lstat(file.ev.path, { bigint: true })
      .catch(() => null)
      .then((after) => this.made(item, file, after));
  }

  private made(item: PendingFile, { ev, content, offset }: Saving, after: StatAfter | null): TreeNode {
    const { tally, cache } = this.d;
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

function changedSince(st: EntryStats, after: StatAfter | null): boolean {
  return !after || after.size !== st.size || after.mtimeNs !== st.mtimeNs || after.ctimeNs !== st.ctimeNs;
}
