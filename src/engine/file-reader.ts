/**
 * Reads one file through the worker pool as an ordered stream of sealed parts: cut jobs run one
 * after another (each starts at the boundary the previous one found), and the chunks they find
 * are sealed in parallel jobs of about 4 MiB. At most `aheadBytes` of sealed data wait unconsumed.
 */
import type { WorkerPool } from './worker-pool';
import type { JobError, SealResult } from './seal-worker';

const SEAL_GROUP = 4 * 1024 * 1024;

export class FileReader {
  private readonly parts: { bytes: number; result: Promise<SealResult> }[] = [];
  private queued = 0;
  private cutOffset: number;
  private cutting: Promise<void> | null = null;
  private eof = false;
  error: JobError | null = null;

  private readonly path: string;
  /** fstat after a whole-file job, for change detection without another lstat */
  stat: SealResult['stat'];

  constructor(
    private readonly pool: WorkerPool,
    path: Buffer,
    offset: number,
    size: number,
    private readonly segment: number,
    private readonly aheadBytes: number,
    /** for small files: the caller batches whole-file jobs and hands in this file's result */
    batched?: (job: { path: string; offset: number; target: number }) => Promise<SealResult>,
  ) {
    this.path = path.toString('latin1');
    this.cutOffset = offset;
    if (size - offset <= segment) {
      // small file: one job cuts and seals it, reading once
      const job = { path: this.path, offset, target: segment };
      const result = batched ? batched(job) : this.pool.whole(job);
      result.catch(() => undefined);
      this.parts.push({ bytes: size - offset, result });
      this.queued += size - offset;
      this.cutting = result.then(
        (res) => {
          this.cutting = null;
          if (res.error) {
            this.error = res.error;
            return;
          }
          this.stat = res.stat;
          this.cutOffset = res.nextOffset ?? offset;
          this.eof = res.eof ?? true;
          if (!this.eof) this.stat = undefined;
        },
        (err: Error) => {
          this.cutting = null;
          this.error = { message: err.message };
        },
      );
    }
  }

  /** Starts work if there is room ahead. */
  pump(): void {
    if (this.eof || this.cutting || this.error || this.queued >= this.aheadBytes) return;
    const p = this.pool.cut({ path: this.path, offset: this.cutOffset, target: this.segment });
    this.cutting = p.then(
      (res) => {
        this.cutting = null;
        if (res.error) {
          this.error = res.error;
          return;
        }
        let group: number[] = [];
        let groupBytes = 0;
        let at = this.cutOffset;
        const flush = (): void => {
          if (group.length === 0) return;
          const result = this.pool.seal({ path: this.path, offset: at, lengths: group });
          result.catch(() => undefined);
          this.parts.push({ bytes: groupBytes, result });
          this.queued += groupBytes;
          at += groupBytes;
          group = [];
          groupBytes = 0;
        };
        for (const len of res.lengths) {
          group.push(len);
          groupBytes += len;
          if (groupBytes >= SEAL_GROUP) flush();
        }
        flush();
        this.cutOffset = res.nextOffset;
        this.eof = res.eof;
        this.pump();
      },
      (err: Error) => {
        this.cutting = null;
        this.error = { message: err.message };
        throw err;
      },
    );
    this.cutting.catch(() => undefined);
  }

  /** The next sealed part in file order, or null at the end. Rejects if the pool is closed. */
  async next(): Promise<SealResult | null> {
    for (;;) {
      const part = this.parts.shift();
      if (part) {
        const res = await part.result;
        this.queued -= part.bytes;
        if (this.cutting) await this.cutting;
        this.pump();
        return res;
      }
      if (this.error) return { offset: this.cutOffset, chunks: [], data: new Uint8Array(0), error: this.error };
      if (this.eof) return null;
      this.pump();
      if (this.cutting) await this.cutting;
    }
  }
}
