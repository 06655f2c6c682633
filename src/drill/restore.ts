/**
 * The one place the drill restores a job's snapshot and counts what the job committed: the data
 * engine's restore into an empty target, and the catalog's snapshot rows for the job.
 */
import { basename, join } from 'node:path';
import type { Catalog } from '../catalog/open';
import { openDrive, restore } from '../engine';
import type { BackupJobResult } from '../model/backup';

export interface RestoredSnapshot {
  files: number;
  bytes: number;
  /** Where each of the app's data paths (in the job's order) was restored under the target. */
  roots: string[];
}

/**
 * Restores the snapshot a finished job committed into `target` (an empty directory). One data
 * path lands directly in `target`; several land in `target/<basename>` each.
 */
export async function restoreJobSnapshot(
  result: BackupJobResult,
  target: string,
  sources: string[],
  password: string | undefined,
): Promise<RestoredSnapshot> {
  const outcome = result.outcome;
  if (result.state !== 'succeeded' || !outcome) {
    throw new Error(`job ${result.jobId} ${result.state} without a snapshot${result.error ? `: ${result.error}` : ''}`);
  }
  const drive = await openDrive(outcome.drive, { password });
  const { files, bytes } = await restore({ drive, password, snapshotId: outcome.snapshotId, target });
  return { files, bytes, roots: sources.length === 1 ? [target] : sources.map((s) => join(target, basename(s))) };
}

/** The snapshots the catalog says the job committed (exactly one for a successful job). */
export async function committedSnapshots(catalog: Catalog, jobId: string): Promise<string[]> {
  const rows = await catalog.selectFrom('snapshots').select(['id', 'drive_path']).where('job_id', '=', jobId).execute();
  return rows.map((r) => `${r.drive_path}#${r.id}`);
}
