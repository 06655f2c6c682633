/**
 * What a failed backup reports when its drive lock no longer stands (archiver.ts lockLostOr): the
 * lost lock, which is the cause the operator must read, when the drive is still there; the
 * failure itself when the whole drive went away (unmounted mid-backup), since the lock went with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { LockLostError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const FAILURE = 'pack write failed (test)';

/** What a backup of a small tree to a new drive in `root` throws when `beforeWrite` first acts on the drive and fails. */
async function failedBackup(root: string, beforeWrite: (drive: Drive) => void): Promise<unknown> {
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}`), prng(`lock-lost-${i}`, 256 * 1024));
  const drive = await createDrive(join(root, 'drive'));
  return backup({
    drive,
    sources: src,
    cachePath: null,
    beforeWrite: () => {
      beforeWrite(drive);
      return Promise.reject(new Error(FAILURE));
    },
  }).then(
    () => assert.fail('the backup succeeded'),
    (e: unknown) => e,
  );
}

void test('a backup failing after its lock file was removed reports the lost lock, not the failure', async () => {
  const tmp = tempDir();
  try {
    const err = await failedBackup(tmp.path, (drive) => {
      const locks = join(drive.path, 'locks');
      for (const name of readdirSync(locks)) rmSync(join(locks, name));
    });
    assert.ok(err instanceof LockLostError, `a LockLostError, not: ${String(err)}`);
    assert.match(err.message, /was removed by another process/);
  } finally {
    tmp.cleanup();
  }
});

void test('a backup whose whole drive went away mid-backup reports its own failure, not a lost lock', async () => {
  const tmp = tempDir();
  try {
    const err = await failedBackup(tmp.path, (drive) => {
      renameSync(drive.path, join(tmp.path, 'unmounted')); // as an unmount: its files, its lock among them, are gone
    });
    assert.ok(!(err instanceof LockLostError), `not a LockLostError: ${String(err)}`);
    assert.equal((err as Error).message, FAILURE);
    assert.ok(!existsSync(join(tmp.path, 'drive')), 'the backup did not make the drive again');
  } finally {
    tmp.cleanup();
  }
});
