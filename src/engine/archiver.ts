/**
 * The archiver: walks the sources in a deterministic order, stores file chunks and trees through
 * the pack writer, emits checkpoints, and commits one snapshot at the end. Resuming from a
 * checkpoint (possibly on another drive) continues the same walk, so the result is the snapshot an
 * uninterrupted run would have made.
 */
import { lstat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import type { Drive } from './drive';
import { Drive as DriveClass } from './drive';
import { BlobIndex, readBlob } from './index-file';
import { PackWriter } from './pack-writer';
import { WorkerPool } from './worker-pool';
import { DEFAULT_WORKERS } from './worker-start';
import { FileReader } from './file-reader';
import { RateLimiter } from './rate-limit';
import type { SealResult, SegmentJob } from './seal-worker';
import { encodeBlob, encodeJson } from './blob';
import { decodeTree, encodeTree, makeNode, nameFields, specialType } from './tree';
import type { TreeNode } from './tree';
import type { BackupStats, Snapshot, SnapshotError } from './snapshot';
import type { Checkpoint, CheckpointDrive, CheckpointFrame, CheckpointPartial } from './checkpoint';
import { validateCheckpoint } from './checkpoint';
import { listDir, walkListing } from './walker';
import type { Entry, WalkEvent } from './walker';
import type { Xattr } from './xattrs';
import { FileCache, defaultCachePath } from './file-cache';
import { Lock } from './lock';
import { AbortedError, EngineError, throwIfAborted } from './errors';
import { noopProgress } from './progress';
import type { ProgressReporter } from './progress';
import { contentId } from './hash';

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
  progress?: ProgressReporter;
  /** fencing hook: called before each pack write and before the snapshot commit; a throw aborts */
  beforeWrite?: () => Promise<void>;
  /** worker threads for chunking/compression/encryption (default 2) */
  workers?: number;
  /** plaintext bytes per worker job, also the granularity of mid-file checkpoints (default 32 MiB) */
  segmentSize?: number;
  /** bytes per second the backup may process (the app's bandwidth limit); absent or 0: no limit */
  rateLimit?: number;
}

export interface BackupResult {
  snapshotId: string;
  incomplete: boolean;
  stats: BackupStats;
  errors: SnapshotError[];
  warnings: SnapshotError[];
}

const DEFAULT_SEGMENT = 8 * 1024 * 1024;
/** sealed bytes one file may have waiting, and all files read ahead together */
const READER_AHEAD = 16 * 1024 * 1024;
const LOOKAHEAD_BYTES = 64 * 1024 * 1024;
/**
 * files walked ahead: two batches of small files (with each worker holding its next job, more
 * gained nothing measurable, and 1024 cost a million-file backup 28 MiB more peak memory)
 */
const LOOKAHEAD_FILES = 256;
const LOOKAHEAD_EVENTS = 1024;
const LOCK_REFRESH_MS = 5 * 60 * 1000;
const SMALL_FILE = 256 * 1024;
/** open directories with more finished entries than this are stored as partial tree blobs at checkpoints */
const INLINE_NODES = 64;
const BATCH_FILES = 128;
const BATCH_MIN_FILES = 16;
const BATCH_BYTES = 4 * 1024 * 1024;

interface Item {
  ev: WalkEvent;
  /** a file larger than SMALL_FILE (or resumed mid-file): its reader */
  reader?: FileReader;
  /** a small file: its job's result, from a batch of many */
  small?: Promise<SealResult>;
  /** the small-file batch its job went into */
  batchNo?: number;
  aheadBytes: number;
  cached?: string[];
  /** the file's key in the file cache */
  cacheKey?: Buffer;
}

interface Frame {
  name: Buffer | null;
  node: TreeNode | null;
  nodes: TreeNode[];
  /** last entry handled in this directory (the walk cursor at this level) */
  last?: Buffer;
}

function emptyStats(): BackupStats {
  return { files: 0, dirs: 0, bytes: 0, newBytes: 0, newChunks: 0, cachedFiles: 0, packs: 0 };
}

function pathText(p: Buffer): string {
  return nameFields(p).text;
}

async function rootListing(sources: string[]): Promise<{ entries: Entry[]; single: boolean }> {
  if (sources.length === 1) {
    const p = Buffer.from(sources[0]);
    const st = await lstat(p).catch((err: Error) => {
      throw new EngineError(`cannot back up ${sources[0]}: ${err.message}; check the path`, 'BAD_SOURCE');
    });
    if (st.isDirectory()) return { entries: await listDir(p), single: true };
  }
  const entries = sources.map((s) => ({ name: Buffer.from(basename(s) || s), path: Buffer.from(s) }));
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i].name.equals(entries[i - 1].name)) {
      throw new EngineError(
        `two sources have the same base name ${entries[i].name.toString()}; back them up in separate snapshots`,
        'BAD_SOURCE',
      );
    }
  }
  for (const e of entries) {
    await lstat(e.path).catch((err: Error) => {
      throw new EngineError(`cannot back up ${e.path.toString()}: ${err.message}; check the path`, 'BAD_SOURCE');
    });
  }
  return { entries, single: false };
}

export async function backup(opts: BackupOptions): Promise<BackupResult> {
  const drive = opts.drive;
  const signal = opts.signal;
  throwIfAborted(signal, 'backup');
  const resume = opts.resumeFrom ? validateCheckpoint(structuredClone(opts.resumeFrom)) : null;
  const sources = resume
    ? resume.sources
    : (Array.isArray(opts.sources) ? opts.sources : [opts.sources]).map((s) => resolve(s));
  if (sources.length === 0) throw new EngineError('nothing to back up: no source path given', 'BAD_SOURCE');
  const progress = opts.progress ?? noopProgress;
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit) : null;
  const everyMs = (opts.checkpointEvery?.seconds ?? 15) * 1000;
  const everyBytes = opts.checkpointEvery?.bytes ?? 256 * 1024 * 1024;

  // a tape is appended to by one writer at a time: backups take its lock exclusively
  const lock = await Lock.acquire(drive, drive.kind === 'tape', 'backup');
  let pool: WorkerPool | null = null;
  let cache: FileCache | null = null;
  const onAbort = (): void => void pool?.close();
  signal?.addEventListener('abort', onAbort);
  try {
    const index = await BlobIndex.load(drive);
    const cpDrives: CheckpointDrive[] = [];
    const opened = new Map<string, Drive>([[drive.id, drive]]);
    for (const d of opts.otherDrives ?? []) opened.set(d.id, d);
    if (resume) {
      for (const d of resume.drives) {
        let od = opened.get(d.id);
        if (!od) {
          od = await DriveClass.open(d.path, { password: opts.password }).catch((err: Error) => {
            throw new EngineError(
              `the checkpoint uses data on drive ${d.id} at ${d.path}, which cannot be opened (${err.message}); ` +
                `make that drive reachable here (or pass it opened), or start a fresh backup`,
              'MISSING_DRIVE',
            );
          });
          if (od.id !== d.id) {
            throw new EngineError(
              `drive at ${d.path} has ID ${od.id}, the checkpoint expects ${d.id}; pass the right drive or start a fresh backup`,
              'WRONG_DRIVE',
            );
          }
          opened.set(d.id, od);
        }
        // the drive's whole index: the checkpoint's entries may use any of its packs
        if (od !== drive) {
          const other = await BlobIndex.load(od);
          for (const { pack } of other.packs.values()) index.addPack(od, pack);
        }
        for (const packId of d.packs) {
          const p = index.packs.get(packId);
          if (!p || p.drive.id !== d.id || (await od.packs.packSize(p.pack)) !== p.pack.length) {
            throw new EngineError(
              `pack ${packId} that the checkpoint uses is missing on drive ${d.path} (pruned since?); the checkpoint ` +
                `cannot be resumed: start a fresh backup`,
              'CHECKPOINT_GONE',
            );
          }
        }
        cpDrives.push({ id: d.id, path: d.path, packs: [...d.packs] });
      }
    }
    if (resume) {
      // large open directories were stored as partial tree blobs: read them back
      for (const f of resume.frames) {
        if (f.nodesTree === undefined) continue;
        const loc = index.get(f.nodesTree);
        if (!loc) {
          throw new EngineError(
            `partial tree ${f.nodesTree} of the checkpoint is on none of its drives; start a fresh backup`,
            'CHECKPOINT_GONE',
          );
        }
        f.nodes = decodeTree(await readBlob(loc), f.nodesTree).nodes;
        f.nodesTree = undefined;
      }
    }
    let mine = cpDrives.find((d) => d.id === drive.id);
    if (!mine) {
      mine = { id: drive.id, path: drive.path, packs: [] };
      cpDrives.unshift(mine);
    }
    const writer = new PackWriter(drive, index, opts.beforeWrite);
    pool = new WorkerPool(drive.key, opts.workers ?? DEFAULT_WORKERS, {
      known: index.table,
      level: drive.compressionLevel,
    });
    index.onTableGrown((table) => pool?.setKnown(table));
    if (signal?.aborted) throw new AbortedError('backup');
    const cachePath = opts.cachePath === null ? null : resolve(opts.cachePath ?? defaultCachePath(drive.id, opts.app));
    cache = cachePath === null ? null : await FileCache.load(cachePath, drive.id, index);

    const stats: BackupStats = resume ? { ...resume.stats } : emptyStats();
    const errors: SnapshotError[] = resume ? [...resume.errors] : [];
    const warnings: SnapshotError[] = resume ? [...resume.warnings] : [];
    const backupId = resume ? resume.backupId : randomBytes(12).toString('hex');
    const startedAt = resume ? resume.startedAt : new Date().toISOString();
    let seq = resume ? resume.seq : 0;
    let lastCp = Date.now();
    let lastRefresh = Date.now();
    let bytesSinceCp = 0;
    /** content of files with several links, by device and inode, until every link was seen */
    const hardlinks = new Map<string, { content: string[]; left: bigint }>();

    const root = await rootListing(sources);
    const frames: Frame[] = [
      {
        name: null,
        node: null,
        nodes: resume ? [...resume.frames[0].nodes] : [],
        last: resume?.frames[0].last !== undefined ? Buffer.from(resume.frames[0].last, 'hex') : undefined,
      },
    ];
    const top = (): Frame => frames[frames.length - 1];

    // the packs the backup uses: those holding blobs it found already stored, and every pack it
    // writes (a blob not yet in a written pack is queued for one of them)
    const usedPacks = new Map<string, Set<string>>(cpDrives.map((d) => [d.id, new Set(d.packs)]));
    const usedFound = new Set<{ drive: Drive; pack: { id: string } }>();
    const use = (id: string): void => {
      const p = index.packOf(id);
      if (p) usedFound.add(p);
    };
    /** Lists the used packs per drive in the checkpoint's drives; after a flush, so all are durable. */
    const resolveUse = (): void => {
      for (const p of [...usedFound, ...writer.written]) {
        let set = usedPacks.get(p.drive.id);
        if (!set) usedPacks.set(p.drive.id, (set = new Set()));
        set.add(p.pack.id);
      }
      usedFound.clear();
      for (const d of cpDrives) d.packs = [...(usedPacks.get(d.id) ?? [])].sort();
    };

    const saveBlob = async (type: 'data' | 'tree', plain: Buffer): Promise<string> => {
      const id = contentId(plain);
      use(id);
      if (!writer.has(id)) {
        await writer.add(type, encodeBlob(drive.key, plain, id, drive.compressionLevel));
      }
      return id;
    };

    const checkpoint = async (partialOf?: () => CheckpointPartial): Promise<void> => {
      if (Date.now() - lastRefresh > LOCK_REFRESH_MS) {
        await lock.refresh();
        lastRefresh = Date.now();
      }
      if (!opts.onCheckpoint) return;
      const volume = writer.volumeChanged;
      if (!volume && Date.now() - lastCp < everyMs && bytesSinceCp < everyBytes) return;
      const partial = partialOf?.();
      // large open directories go to the drive as partial tree blobs, so a checkpoint stays small
      const cpFrames: CheckpointFrame[] = [];
      for (const f of frames) {
        const inline = f.nodes.length <= INLINE_NODES;
        cpFrames.push({
          name: f.name === null ? null : f.name.toString('hex'),
          node: f.node,
          nodes: inline ? f.nodes : [],
          nodesTree: inline ? undefined : await saveBlob('tree', encodeTree(f.nodes)),
          last: f.last?.toString('hex'),
        });
      }
      await writer.writeIndex();
      resolveUse();
      writer.volumeChanged = false;
      stats.packs = writer.packsWritten + (resume?.stats.packs ?? 0);
      const cp: Checkpoint = {
        version: 1,
        backupId,
        seq: ++seq,
        time: new Date().toISOString(),
        startedAt,
        sources,
        app: opts.app,
        frames: cpFrames,
        partial,
        drives: cpDrives,
        stats,
        errors,
        warnings,
        reason: volume ? 'volume-change' : 'interval',
      };
      await opts.onCheckpoint(JSON.parse(JSON.stringify(cp)) as Checkpoint);
      lastCp = Date.now();
      bytesSinceCp = 0;
    };

    // `within`: bytes of the current file read so far (reports in the middle of a large file).
    // currentPath is decoded only if the reporter reads it: decoding every name cost more than
    // sealing a small file.
    const report = (path?: Buffer, within = 0): void =>
      progress.update({
        files: stats.files,
        dirs: stats.dirs,
        bytes: stats.bytes + within,
        newBytes: stats.newBytes,
        errors: errors.length,
        get currentPath() {
          return path ? pathText(path) : undefined;
        },
      });

    // --- lookahead: start reading upcoming files while earlier ones are consumed ---
    // never back up the drive itself (or the file cache) when it lies inside a source
    const exclude = new Set(
      [...opened.values()]
        .map((d) => d.path)
        .concat(cachePath && cache ? [cachePath, cache.tempPath] : [])
        .map((p) => Buffer.from(p).toString('latin1')),
    );
    const it = walkListing(root.entries, 0, resume, exclude)[Symbol.asyncIterator]();
    const ahead: Item[] = [];
    let walkDone = false;
    let bytesAhead = 0;
    let filesAhead = 0;
    const segment = opts.segmentSize ?? DEFAULT_SEGMENT;
    // small files go to the workers in batches: one message for many files
    type Waiting = {
      job: Omit<SegmentJob, 'kind'>;
      resolve: (r: SealResult) => void;
      reject: (e: Error) => void;
    };
    let batch: Waiting[] = [];
    let batchBytes = 0;
    let batchNo = 0;
    const sendBatch = (): void => {
      if (batch.length === 0) return;
      batchNo++;
      const sent = batch;
      batch = [];
      batchBytes = 0;
      (pool as WorkerPool).batch(sent.map((w) => w.job)).then(
        (results) => results.forEach((r, i) => sent[i].resolve(r)),
        (err: Error) => sent.forEach((w) => w.reject(err)),
      );
    };
    const batched = (size: number, job: Waiting['job']): Promise<SealResult> =>
      new Promise((resolve, reject) => {
        batch.push({ job, resolve, reject });
        batchBytes += size;
        if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) sendBatch();
      });
    const fill = async (): Promise<void> => {
      while (
        !walkDone &&
        bytesAhead < LOOKAHEAD_BYTES &&
        filesAhead < LOOKAHEAD_FILES &&
        ahead.length < LOOKAHEAD_EVENTS
      ) {
        const r = await it.next();
        if (r.done) {
          walkDone = true;
          break;
        }
        const item: Item = { ev: r.value, aheadBytes: 0 };
        const ev = r.value;
        if (ev.t === 'file') {
          const linkKey = ev.st.nlink > 1n ? `${ev.st.dev.toString()}:${ev.st.ino.toString()}` : '';
          const link = linkKey ? hardlinks.get(linkKey) : undefined;
          if (link && --link.left === 0n) hardlinks.delete(linkKey);
          if (cache) item.cacheKey = cache.key(ev.path, ev.st);
          const cached = ev.partial ? null : (link?.content ?? (item.cacheKey && cache?.lookup(item.cacheKey)) ?? null);
          if (cached && cached.every((id) => writer.has(id))) {
            item.cached = cached;
          } else if (ev.st.size > 0n || ev.partial) {
            const size = Number(ev.st.size);
            if (!ev.partial && size <= SMALL_FILE) {
              // small files: no reader of their own, one job in a batch of many
              item.small = batched(size, { path: ev.path.toString('latin1'), offset: 0, target: segment, stat: true });
              item.small.catch(() => undefined);
              item.batchNo = batchNo;
            } else {
              const offset = ev.partial?.offset ?? 0;
              item.reader = new FileReader(
                pool as WorkerPool,
                ev.path,
                offset,
                size - offset <= segment,
                segment,
                READER_AHEAD,
              );
              item.reader.pump();
            }
            item.aheadBytes = Math.min(size, READER_AHEAD);
            bytesAhead += item.aheadBytes;
            filesAhead++;
          }
        }
        ahead.push(item);
      }
      // a part-filled batch goes out only when a worker would otherwise wait, and not tiny: when the
      // walk is what limits the backup, tiny batches would only add to the walking thread's work
      if ((pool as WorkerPool).hasIdleWorker && (batch.length >= BATCH_MIN_FILES || walkDone)) sendBatch();
    };

    /**
     * A small file's parts: its batched job's result, then (only if the file grew past one segment
     * while it was read) a reader for the rest. The result's stat is kept only when it read to the end.
     */
    const smallParts = (
      item: Item,
      first: Promise<SealResult>,
      ev: Extract<WalkEvent, { t: 'file' }>,
    ): { next: () => Promise<SealResult | null> } => {
      let pending: Promise<SealResult> | null = first;
      return {
        next: async () => {
          if (pending) {
            const res = await pending;
            pending = null;
            if (res.error || res.eof) return res;
            item.reader = new FileReader(
              pool as WorkerPool,
              ev.path,
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
    };

    const doFile = async (item: Item, ev: Extract<WalkEvent, { t: 'file' }>): Promise<TreeNode | null> => {
      if (item.cached) {
        for (const id of item.cached) use(id);
        stats.cachedFiles++;
        stats.files++;
        stats.bytes += Number(ev.st.size);
        if (item.cacheKey) cache?.record(item.cacheKey, item.cached);
        return makeNode(ev.name, 'file', ev.st, { content: item.cached });
      }
      const content = ev.partial ? [...ev.partial.content] : [];
      let offset = ev.partial?.offset ?? 0;
      if (ev.partial && (ev.partial.mtimeNs !== ev.st.mtimeNs.toString() || ev.partial.size !== Number(ev.st.size))) {
        warnings.push({ path: pathText(ev.path), message: 'file changed between checkpoint and resume' });
      }
      let fst: SealResult['stat'];
      const parts = item.small ? smallParts(item, item.small, ev) : item.reader;
      if (parts) {
        if (item.batchNo === batchNo) sendBatch(); // its job is still waiting in the batch
        bytesAhead -= item.aheadBytes;
        filesAhead--;
        for (let res = await parts.next(); res; res = await parts.next()) {
          if (res.stat) fst = res.stat;
          if (res.error) {
            errors.push({ path: pathText(ev.path), message: res.error.message });
            return null;
          }
          const data = Buffer.from(res.data.buffer, res.data.byteOffset, res.data.byteLength);
          for (const c of res.chunks) {
            if (!writer.has(c.id)) {
              // workers skip only IDs in the writer's own table, which never loses one
              if (c.known) throw new Error(`bug: chunk ${c.id} was skipped as known but the backup does not have it`);
              await writer.add('data', {
                id: c.id,
                data: data.subarray(c.start, c.start + c.length),
                rawLength: c.rawLength,
                compressed: c.compressed,
              });
              stats.newBytes += c.rawLength;
              stats.newChunks++;
            }
            content.push(c.id);
            use(c.id);
            bytesSinceCp += c.rawLength;
            offset += c.rawLength;
            // mid-file checkpoint (interval or volume change) at this chunk boundary
            const at = offset;
            await checkpoint(() => ({
              name: ev.name.toString('hex'),
              offset: at,
              content: content.slice(),
              mtimeNs: ev.st.mtimeNs.toString(),
              size: Number(ev.st.size),
            }));
          }
          // the sealed bytes are in the pack buffer now: a segment's result buffer can be filled again
          if (item.reader) pool?.recycle(res.data.buffer);
          throwIfAborted(signal, 'backup');
          // the limit is on reading the app's data, so it counts plaintext, sealed or not
          await limiter?.take(
            res.chunks.reduce((n, c) => n + c.rawLength, 0),
            signal,
          );
          if (!res.eof) report(ev.path, offset); // a large file: progress (and liveness) within it
        }
      }
      let after: { size: bigint; mtimeNs: bigint; ctimeNs: bigint } | null = null;
      fst ??= item.reader?.stat;
      if (fst) {
        after = { size: BigInt(fst.size), mtimeNs: BigInt(fst.mtimeNs), ctimeNs: BigInt(fst.ctimeNs) };
      } else {
        after = await lstat(ev.path, { bigint: true }).catch(() => null);
      }
      const changed =
        !after || after.size !== ev.st.size || after.mtimeNs !== ev.st.mtimeNs || after.ctimeNs !== ev.st.ctimeNs;
      if (changed || BigInt(offset) !== ev.st.size) {
        warnings.push({
          path: pathText(ev.path),
          message: 'file changed while it was read; the stored content may mix old and new data',
        });
      } else if (item.cacheKey) {
        cache?.record(item.cacheKey, content);
      }
      if (ev.st.nlink > 1n) {
        hardlinks.set(`${ev.st.dev.toString()}:${ev.st.ino.toString()}`, { content, left: ev.st.nlink - 1n });
      }
      stats.files++;
      stats.bytes += offset;
      return makeNode(ev.name, 'file', ev.st, { size: offset, content });
    };

    /** The entry's extended attributes for its node; what could not be read becomes a warning. */
    const xattrsOf = (ev: { path: Buffer; xattrs?: Xattr[]; xattrWarning?: string }): Xattr[] | undefined => {
      if (ev.xattrWarning) warnings.push({ path: pathText(ev.path), message: ev.xattrWarning });
      return ev.xattrs;
    };

    for (;;) {
      throwIfAborted(signal, 'backup');
      if (ahead.length === 0) await fill();
      const item = ahead.shift();
      if (!item) break;
      const ev = item.ev;
      switch (ev.t) {
        case 'enter': {
          if (ev.resumed) {
            frames.push({
              name: ev.name,
              node: ev.resumed.node,
              nodes: [...ev.resumed.nodes],
              last: ev.resumed.last !== undefined ? Buffer.from(ev.resumed.last, 'hex') : undefined,
            });
          } else {
            frames.push({
              name: ev.name,
              node: makeNode(ev.name, 'dir', ev.st as BigIntStats, { xattrs: xattrsOf(ev) }),
              nodes: [],
            });
          }
          break;
        }
        case 'leave': {
          const f = frames.pop() as Frame;
          const node = f.node as TreeNode;
          node.subtree = await saveBlob('tree', encodeTree(f.nodes));
          top().nodes.push(node);
          top().last = f.name ?? undefined;
          stats.dirs++;
          break;
        }
        case 'file': {
          const node = await doFile(item, ev);
          if (node) {
            const xattrs = xattrsOf(ev);
            if (xattrs) node.xattrs = xattrs;
            top().nodes.push(node);
          }
          top().last = ev.name;
          report(ev.path);
          break;
        }
        case 'symlink':
          top().nodes.push(makeNode(ev.name, 'symlink', ev.st, { target: ev.target, xattrs: xattrsOf(ev) }));
          top().last = ev.name;
          break;
        case 'other':
          top().nodes.push(makeNode(ev.name, specialType(ev.st), ev.st, { xattrs: xattrsOf(ev) }));
          top().last = ev.name;
          break;
        case 'error':
          errors.push({ path: pathText(ev.path), message: ev.message });
          top().last = ev.name;
          break;
      }
      await fill();
      await checkpoint();
    }

    // --- commit: root tree, packs, index, refs on other drives, then the snapshot ---
    const rootTree = await saveBlob('tree', encodeTree(frames[0].nodes));
    await writer.writeIndex();
    resolveUse();
    stats.packs = writer.packsWritten + (resume?.stats.packs ?? 0);
    const used = cpDrives.filter((d) => d.id === drive.id || d.packs.length > 0);
    const snap: Snapshot = {
      version: 1,
      time: new Date().toISOString(),
      hostname: hostname(),
      app: opts.app,
      paths: sources,
      tree: rootTree,
      drives: used.map((d) => ({ id: d.id, path: d.id === drive.id ? drive.path : d.path })),
      incomplete: errors.length > 0 || warnings.length > 0,
      errors,
      warnings,
      stats,
    };
    const data = encodeJson(drive.key, snap);
    const snapshotId = contentId(data);
    for (const d of used) {
      if (d.id === drive.id) continue;
      const od = opened.get(d.id) as Drive;
      const refs = { version: 1, snapshot: snapshotId, drive: drive.id, packs: d.packs };
      if (opts.beforeWrite) await opts.beforeWrite();
      await od.writeFile('refs', snapshotId, Buffer.from(JSON.stringify(refs)));
    }
    throwIfAborted(signal, 'backup');
    if (opts.beforeWrite) await opts.beforeWrite();
    await drive.writeFile('snapshots', snapshotId, data);
    await cache?.save(resume !== null).catch(() => undefined);
    report();
    return { snapshotId, incomplete: snap.incomplete, stats, errors, warnings };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    cache?.discard();
    await pool?.close();
    await drive.packs.sync().catch(() => undefined); // settle background pack writes
    await lock.release().catch(() => undefined);
  }
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
