/** Restores a job's committed snapshot with the engine, the way `baton repo restore` does. */
import { join } from 'node:path';
import { repositoryPassword, type BatonConfig } from '../../src/config/load';
import { openDrive, restore } from '../../src/engine';
import type { BackupOutcome } from '../../src/model/backup';
import { tempDir } from './temp';

/** Restores into a new temp directory and returns it; the app's data path's contents land directly in it. */
export async function restoreSnapshot(config: BatonConfig, outcome: BackupOutcome | undefined): Promise<string> {
  if (!outcome) throw new Error('the job has no snapshot');
  const password = repositoryPassword(config);
  const target = join(tempDir('baton-restore-').path, 'target');
  const drive = await openDrive(outcome.drive, { password });
  await restore({ drive, password, snapshotId: outcome.snapshotId, target });
  return target;
}
