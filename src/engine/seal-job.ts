/**
 * What a seal worker is asked to read and what it answers (seal-worker.ts runs the jobs;
 * worker-pool.ts and batch-wire.ts carry them).
 */

/** Paths travel as latin1 strings (byte-exact, and cheap to post: a Buffer would clone its pool). */
export interface SegmentJob {
  kind: 'segment';
  path: string;
  offset: number;
  /** stop at the first chunk boundary at or after this many bytes */
  target: number;
  /** also return the file's fstat after reading (small files read whole in one job) */
  stat?: boolean;
  /**
   * Device and inode of the file as the walk listed it (its lstat): what is opened at the path is
   * refused unread unless it is a regular file with both equal (not replaced, nor a fifo or
   * directory put in its place).
   */
  dev?: bigint;
  ino?: bigint;
}

/** Posted by a segment job before its result: where the next segment of the file starts. */
export interface SegmentCut {
  nextOffset: number;
  eof: boolean;
}

export interface JobError {
  code?: string;
  message: string;
}

export interface SealedChunk {
  id: string;
  rawLength: number;
  compressed: boolean;
  /** position of the sealed blob in `data` */
  start: number;
  length: number;
  /** the backup already had this blob when the worker looked: nothing was sealed (length 0) */
  known?: boolean;
}

export interface SealResult {
  offset: number;
  chunks: SealedChunk[];
  data: Uint8Array;
  error?: JobError;
  /** segment jobs: where the file continues */
  nextOffset?: number;
  eof?: boolean;
  /** segment jobs with `stat`: the file's fstat after reading */
  stat?: { size: bigint; mtimeNs: bigint; ctimeNs: bigint };
}
