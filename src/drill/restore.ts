/**
 * The one place the drill restores a job's snapshot. Today's data path commits a copy manifest
 * (src/activities/copy-tree.ts); the snapshot engine will replace what is behind this function.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { restoreManifest } from '../activities/copy-tree';
import type { BackupJobResult } from '../workflows/types';

export interface RestoredSnapshot {
  files: number;
  bytes: number;
  /** Where each of the app's data paths (in the job's order) was restored under the target. */
  roots: string[];
}

/** Restores the snapshot a finished job committed into `target` (an empty directory). */
export async function restoreJobSnapshot(
  result: BackupJobResult,
  target: string,
  sources: string[],
): Promise<RestoredSnapshot> {
  const location = result.outcome?.location;
  if (result.state !== 'succeeded' || !location) {
    throw new Error(`job ${result.jobId} ${result.state} without a snapshot${result.error ? `: ${result.error}` : ''}`);
  }
  const { files, bytes } = await restoreManifest(location, target);
  return { files, bytes, roots: sources.map((source, i) => join(target, `${i}-${basename(source)}`)) };
}

/** How many snapshots the job committed across `drivePaths` (one manifest per committing drive). */
export function committedSnapshots(jobId: string, drivePaths: string[]): string[] {
  return drivePaths.map((d) => join(d, jobId, 'manifest.json')).filter((m) => existsSync(m));
}
