/**
 * Reads one file through the worker pool as an ordered stream of sealed parts. Each part is one
 * segment job (read once, cut, seal). Segments of one file run on several workers at once: a
 * segment's job reports where the next one starts as soon as it has cut its chunks, before it
 * seals them, and the next job starts there. At most `aheadBytes` of the file wait unconsumed.
 */
import type { BigIntStats } from 'node:fs';
import type { WorkerPool } from './worker-pool';
import type { JobError, SealResult } from './seal-worker';

export class FileReader {
  private readonly parts: { bytes: number; result: Promise<SealResult> }[] = [];
  private queued = 0;
  private nextOffset: number;
  /** a segment job whose next offset is not known yet */
  private cutting: Promise<void> | null = null;
  private eof = false;
  error: JobError | null = null;

  private readonly path: string;
  /** the file as the walk listed it: the workers read it only if it is still that file */
  private readonly dev: bigint;
  private readonly ino: bigint;
  /** fstat after a whole-file job, for change detection without another lstat */
  stat: SealResult['stat'];

  constructor(
    private readonly pool: WorkerPool,
    path: Buffer,
    listed: Pick<BigIntStats, 'dev' | 'ino'>,
    offset: number,
    /** the rest of the file fits one segment: one job reads it and reports its fstat */
    whole: boolean,
    private readonly segment: number,
    private readonly aheadBytes: number,
  ) {
    this.path = path.toString('latin1');
    this.dev = listed.dev;
    this.ino = listed.ino;
    this.nextOffset = offset;
    if (whole) this.track(this.pool.segment({ ...this.file(offset), target: segment, stat: true }), segment, true);
  }

  /** Starts the next segment if there is room ahead. */
  pump(): void {
    if (this.eof || this.cutting || this.error || this.queued >= this.aheadBytes) return;
    let heard!: (cut: { nextOffset: number; eof: boolean }) => void;
    const cut = new Promise<{ nextOffset: number; eof: boolean }>((resolve) => (heard = resolve));
    const result = this.pool.segment({ ...this.file(this.nextOffset), target: this.segment }, heard);
    this.track(result, this.segment, false, cut);
  }

  private file(offset: number): { path: string; dev: bigint; ino: bigint; offset: number } {
    return { path: this.path, dev: this.dev, ino: this.ino, offset };
  }

  /**
   * Queues a part and follows its job: the next offset comes from the early cut message or, failing
   * that (an error, a batch), from the result.
   */
  private track(
    result: Promise<SealResult>,
    bytes: number,
    whole: boolean,
    cut?: Promise<{ nextOffset: number; eof: boolean }>,
  ): void {
    result.catch(() => undefined);
    this.parts.push({ bytes, result });
    this.queued += bytes;
    const settled = result.then(
      (res) => {
        if (res.error) {
          this.error = res.error;
          return;
        }
        if (whole) this.stat = res.eof ? res.stat : undefined;
        return { nextOffset: res.nextOffset ?? this.nextOffset, eof: res.eof ?? true };
      },
      (err: Error) => {
        this.error = { message: err.message };
      },
    );
    const next = cut ? Promise.race([cut, settled]) : settled;
    this.cutting = next.then((c) => {
      this.cutting = null;
      if (!c) return;
      this.nextOffset = c.nextOffset;
      this.eof = c.eof;
      this.pump();
    });
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
      if (this.error) return { offset: this.nextOffset, chunks: [], data: new Uint8Array(0), error: this.error };
      if (this.eof) return null;
      this.pump();
      if (this.cutting) await this.cutting;
    }
  }
}
