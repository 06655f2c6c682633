/**
 * Progress reporting: a small interface with a no-op default. The engine calls it from the main
 * thread only, never concurrently; implementations should be cheap (it runs per file).
 */

export interface ProgressCounters {
  files: number;
  dirs: number;
  bytes: number;
  newBytes: number;
  errors: number;
  /** restore only: bytes expected in total */
  totalBytes?: number;
  currentPath?: string;
}

export interface ProgressReporter {
  update(counters: Readonly<ProgressCounters>): void;
}

export const noopProgress: ProgressReporter = { update: () => undefined };
