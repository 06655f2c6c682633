/**
 * What a backup has counted and found so far: its stats, errors and warnings (carried on from the
 * checkpoint it resumes), and the progress reports made from them.
 */
import type { Checkpoint } from './checkpoint';
import type { ProgressReporter } from './progress';
import type { BackupStats, SnapshotError } from './snapshot';
import { nameFields } from './tree';

export interface Tally {
  stats: BackupStats;
  errors: SnapshotError[];
  warnings: SnapshotError[];
}

export function newTally(resume: Checkpoint | null): Tally {
  return {
    stats: resume
      ? { ...resume.stats }
      : { files: 0, dirs: 0, bytes: 0, newBytes: 0, newChunks: 0, cachedFiles: 0, packs: 0 },
    errors: resume ? [...resume.errors] : [],
    warnings: resume ? [...resume.warnings] : [],
  };
}

export function pathText(p: Buffer): string {
  return nameFields(p).text;
}

/** Reports the tally; `within`: bytes of the current file read so far (reports in the middle of a large file). */
export type Report = (path?: Buffer, within?: number) => void;

export function progressReport(progress: ProgressReporter, { stats, errors }: Tally): Report {
  // currentPath is decoded only if the reporter reads it: decoding every name cost more than
  // sealing a small file
  return (path, within = 0) =>
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
}
