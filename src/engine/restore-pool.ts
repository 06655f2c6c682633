/**
 * The restore's worker threads (restore-worker.ts) and what they are given to do: small files are
 * batched, many to a message (posting costs more than writing a tiny file), and a big file is cut
 * into runs of chunks spread over every worker. A batch is posted as soon as a worker is idle, so
 * batches grow only while the workers are busy. `abort()` stops the workers at their next chunk;
 * `close()` waits for them, closes their pack files and ends them.
 *
 * Each job has a key: the directory its files are created in, or the big file it writes into. An
 * idle worker takes the first queued job whose key no other worker is on, because two threads
 * creating files in one directory, or writing one file, contend for its inode lock in the kernel
 * (measured: up to twice the system time for the same creates).
 *
 * A worker holds up to DEPTH (worker-start.ts) jobs: the one it runs and the next, already in its message queue, so it
 * goes on without waiting for the main thread to hear its reply (as the backup's seal workers do).
 */
import type { Worker } from 'node:worker_threads';
import type { Drive } from './drive';
import type { BlobLocation } from './index-file';
import type {
  ChunkRef,
  FileMeta,
  PackRef,
  RestoreWorkerData,
  WriteError,
  WriteJob,
  WriteResult,
} from './restore-worker';
import { AbortedError, CorruptionError, PathEscapeError } from './errors';
import { DEFAULT_WORKERS, leastBusy, startWorkers } from './worker-start';

/** a batch of small files is posted once it holds this many bytes or files */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 64;
/** a big file is written in runs of chunks of about this size, one message each */
const PART_BYTES = 8 * 1024 * 1024;
/** how far the caller may run ahead of the workers (descriptions only: no data is held) */
const AHEAD_BYTES = 512 * 1024 * 1024;
const AHEAD_FILES = 1024;

interface Task {
  /** the target: a path the worker opens, or a descriptor it writes into */
  path: Buffer;
  /** the file as named in errors */
  shown: Buffer;
  /** what two workers should not write at once: the file's directory, or the big file */
  key: string;
  fd?: number;
  size: number;
  meta?: FileMeta;
  chunks: BlobLocation[];
  /** file offset of the first chunk */
  at: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The error a worker reported, as the engine's error for it. */
function toError(e: WriteError, path: Buffer): Error {
  switch (e.code) {
    case 'CORRUPT':
      return new CorruptionError(`${e.message} (restoring ${path.toString()})`, e.pack, e.blob);
    case 'ABORTED':
      return new AbortedError('restore');
    case 'ELOOP':
      return new PathEscapeError(path.toString(), 'a symlink is in the way in the target');
    default:
      return Object.assign(new Error(`${path.toString()}: ${e.message}`), { code: e.code });
  }
}

export class RestorePool {
  private readonly workers: Worker[] = [];
  /** each live worker's jobs in the order it runs them */
  private readonly inflight = new Map<Worker, Task[][]>();
  /** how many queued jobs an idle worker looks through for one whose key is free */
  private static readonly LOOK_AHEAD = 32;
  private readonly queue: Task[][] = [];
  private pending: Task[] = [];
  private pendingBytes = 0;
  private aheadBytes = 0;
  private aheadFiles = 0;
  private waiters: (() => void)[] = [];
  /** drive ID -> index of its key in the workers' key list */
  private readonly keyOf = new Map<string, number>();
  private readonly abortFlag = new Int32Array(new SharedArrayBuffer(4));
  private closed = false;
  /** why the last worker died, if they all did: later files fail with it instead of waiting */
  private dead: Error | null = null;

  constructor(drives: Drive[], size = DEFAULT_WORKERS) {
    drives.forEach((d, i) => this.keyOf.set(d.id, i));
    const init: RestoreWorkerData = {
      keys: drives.map((d) => d.key),
      versions: drives.map((d) => d.config.version),
      idKeys: drives.map((d) => d.ids.idKey),
      abort: this.abortFlag,
    };
    for (const w of startWorkers('restore-worker.js', size, init)) {
      w.on('message', (res: WriteResult) => this.done(w, res));
      w.on('error', (err) => this.lost(w, err));
      this.workers.push(w);
      this.inflight.set(w, []);
    }
  }

  /**
   * Writes a whole file in a worker: opened with O_NOFOLLOW (created or truncated), its chunks
   * written, sized, given `meta`, closed. Resolves when all that is done.
   */
  writeFile(path: Buffer, chunks: BlobLocation[], size: number, meta: FileMeta, shown: Buffer = path): Promise<void> {
    return new Promise((resolve, reject) => {
      const slash = path.lastIndexOf(0x2f);
      const key = path.toString('latin1', 0, Math.max(slash, 0));
      this.add({ path, shown, key, size, meta, chunks, at: 0, resolve, reject }, size);
      this.pump();
    });
  }

  /**
   * Writes a file's chunks into `fd` (opened by the caller, sized already), in runs spread over
   * the workers. Settles only when no worker writes into `fd` any more, so the caller may close it.
   */
  async writeInto(path: Buffer, fd: number, chunks: BlobLocation[]): Promise<void> {
    if (this.closed) throw new AbortedError('restore');
    if (this.dead) throw this.dead;
    const parts: Promise<void>[] = [];
    let at = 0;
    for (let i = 0; i < chunks.length;) {
      const first = i;
      let bytes = 0;
      while (i < chunks.length && (bytes === 0 || bytes + chunks[i].blob.rawLength <= PART_BYTES)) {
        bytes += chunks[i++].blob.rawLength;
      }
      const start = at;
      at += bytes;
      parts.push(
        new Promise((resolve, reject) => {
          const key = `fd:${fd}`;
          const task = {
            path,
            shown: path,
            key,
            fd,
            size: bytes,
            chunks: chunks.slice(first, i),
            at: start,
            resolve,
            reject,
          };
          this.aheadBytes += bytes;
          this.queue.push([task]);
        }),
      );
    }
    this.aheadFiles++;
    this.pump();
    const settled = await Promise.allSettled(parts);
    this.aheadFiles--;
    this.wake();
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Resolves once the caller may hand over more files without running too far ahead. */
  async ready(): Promise<void> {
    while (!this.closed && (this.aheadBytes > AHEAD_BYTES || this.aheadFiles > AHEAD_FILES)) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Stops every worker at its next chunk; files not finished fail with AbortedError. */
  abort(): void {
    Atomics.store(this.abortFlag, 0, 1);
  }

  private add(task: Task, bytes: number): void {
    if (this.closed || this.dead) {
      task.reject(this.dead ?? new AbortedError('restore'));
      return;
    }
    this.aheadBytes += bytes;
    this.aheadFiles++;
    if (this.pending.length > 0 && this.pending[0].key !== task.key) this.flush(); // one directory per batch
    this.pending.push(task);
    this.pendingBytes += bytes;
    if (this.pendingBytes >= BATCH_BYTES || this.pending.length >= BATCH_FILES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.queue.push(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Hands queued jobs to the least busy workers, up to DEPTH each. */
  private pump(): void {
    for (;;) {
      const least = leastBusy(this.inflight);
      if (!least) return;
      const w = least.worker;
      // a part-filled batch goes only to a worker with nothing to do: it grows while they are busy
      const tasks = this.next(w, least.holds === 0);
      if (!tasks) return;
      (this.inflight.get(w) as Task[][]).push(tasks);
      w.postMessage(this.job(tasks));
    }
  }

  /**
   * The next job for worker `w`: the first whose key no other worker is on, else the first; the
   * part-filled batch only when `partial`.
   */
  private next(w: Worker, partial: boolean): Task[] | undefined {
    const taken = new Set<string>();
    for (const [worker, jobs] of this.inflight) {
      if (worker !== w) for (const tasks of jobs) taken.add(tasks[0].key);
    }
    const end = Math.min(this.queue.length, RestorePool.LOOK_AHEAD);
    for (let i = 0; i < end; i++) {
      if (!taken.has(this.queue[i][0].key)) return this.queue.splice(i, 1)[0];
    }
    if (partial && this.pending.length > 0 && (this.queue.length === 0 || !taken.has(this.pending[0].key))) {
      this.flush();
      return this.queue.pop();
    }
    return this.queue.shift();
  }

  /** The message for some tasks: chunk positions, with each pack named once. */
  private job(tasks: Task[]): WriteJob {
    const packs: PackRef[] = [];
    const packIndex = new Map<string, number>();
    const files = tasks.map((t) => {
      let at = t.at;
      const chunks = t.chunks.map((loc): ChunkRef => {
        const { file, offset } = loc.drive.packs.packFile(loc.pack);
        let pack = packIndex.get(file + '\0' + loc.pack.id);
        if (pack === undefined) {
          pack = packs.length;
          packIndex.set(file + '\0' + loc.pack.id, pack);
          packs.push({ file, id: loc.pack.id, where: `pack ${loc.pack.id} on drive ${loc.drive.path}` });
        }
        const c: ChunkRef = {
          pack,
          key: this.keyOf.get(loc.drive.id) ?? this.unknown(loc.drive),
          offset: offset + loc.blob.offset,
          length: loc.blob.length,
          id: loc.blob.id,
          compressed: loc.blob.compressed,
          rawLength: loc.blob.rawLength,
          at,
        };
        at += loc.blob.rawLength;
        return c;
      });
      if (t.fd !== undefined) return { fd: t.fd, chunks };
      return { path: t.path.toString('latin1'), size: t.size, chunks, meta: t.meta as FileMeta };
    });
    return { kind: 'write', packs, files };
  }

  private unknown(drive: Drive): never {
    throw new Error(`bug: drive ${drive.id} was not given to the restore pool`);
  }

  private settle(tasks: Task[], errors: (WriteError | null)[] | Error): void {
    tasks.forEach((t, i) => {
      this.aheadBytes -= t.size;
      if (t.fd === undefined) this.aheadFiles--;
      const e = errors instanceof Error ? errors : errors[i];
      if (e === null) t.resolve();
      else t.reject(e instanceof Error ? e : toError(e, t.shown));
    });
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private done(w: Worker, res: WriteResult): void {
    const tasks = this.inflight.get(w)?.shift();
    if (tasks) this.settle(tasks, res.errors);
    if (!this.closed) this.pump();
  }

  /** A worker died (it should not): its files fail, the others carry on. */
  private lost(w: Worker, err: Error): void {
    const jobs = this.inflight.get(w) ?? [];
    this.inflight.delete(w);
    this.workers.splice(this.workers.indexOf(w), 1);
    for (const tasks of jobs) this.settle(tasks, err);
    if (this.workers.length === 0) {
      this.dead = err;
      this.drop(err);
    }
  }

  /** Fails every task not yet posted. */
  private drop(err: Error): void {
    this.flush();
    for (const tasks of this.queue.splice(0)) this.settle(tasks, err);
  }

  /** Stops the workers (after the chunk each is on), fails what was not done, ends the threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort();
    this.drop(new AbortedError('restore'));
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            // after the replies to the jobs it holds (which stop at their next chunk)
            const stop = (): void => {
              if ((this.inflight.get(w)?.length ?? 0) > 0) w.once('message', stop);
              else w.postMessage({ kind: 'close' });
            };
            stop();
          }),
      ),
    );
    this.wake();
  }
}
