/**
 * `baton repo ...` begins its drive's key derivation before the engine loads (key-prefetch.ts): the
 * process's key cache then holds it, and opening the drive takes it from there instead of deriving
 * again. Anything unusual skips the head start and leaves the command to say what is wrong.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { optionValue, prefetchDriveKey } from '../../../src/cli/key-prefetch';
import { openDrive } from '../../../src/engine';
import { kekCache } from '../../../src/engine/key-cache';
import { PASSWORD, createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

test('an option is read as --name value or --name=value, its first occurrence, never after --', () => {
  assert.equal(optionValue(['backup', '--drive', '/d', 'src'], '--drive'), '/d');
  assert.equal(optionValue(['backup', '--drive=/d', '--drive', '/e'], '--drive'), '/d');
  assert.equal(optionValue(['backup', '--', '--drive', '/d'], '--drive'), undefined);
  assert.equal(optionValue(['backup', '--drive'], '--drive'), undefined);
  assert.equal(optionValue(['backup', '--drivex', '/d'], '--drive'), undefined);
});

test("the drive's key is derived once: begun before the command, served to its opening of the drive", async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const drive = join(tmp.path, 'drive');
  await createDrive(drive);
  const before = kekCache.size;

  const env = { BATON_PASSWORD: PASSWORD };
  assert.equal(prefetchDriveKey(['snapshots', '--drive', drive], env), true);
  assert.equal(kekCache.size, before + 1, 'a derivation under way');
  await openDrive(drive, { password: PASSWORD });
  assert.equal(kekCache.size, before + 1, 'the drive was opened with the key begun before');

  // the passphrase from a file, as the command reads it (its newline dropped): the same key
  const file = join(tmp.path, 'pass');
  writeFileSync(file, `${PASSWORD}\n`);
  assert.equal(prefetchDriveKey(['backup', `--drive=${drive}`, '--password-file', file, 'src'], {}), true);
  assert.equal(kekCache.size, before + 1);
});

test('no head start when there is nothing sure to derive; nothing is thrown', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const drive = join(tmp.path, 'drive');
  await createDrive(drive);
  const plain = join(tmp.path, 'plain');
  await createDrive(plain, { encryption: false });
  const junk = join(tmp.path, 'junk');
  await createDrive(junk);
  writeFileSync(join(junk, 'config'), '{ not json');
  const env = { BATON_PASSWORD: 'another passphrase' };
  const before = kekCache.size;
  assert.equal(prefetchDriveKey(['init', '--drive', drive], env), false, 'init makes a new drive');
  assert.equal(prefetchDriveKey(['snapshots'], env), false, 'no --drive');
  assert.equal(prefetchDriveKey(['snapshots', '--drive', drive], {}), false, 'no passphrase');
  assert.equal(
    prefetchDriveKey(['snapshots', '--drive', drive, '--password-file', join(tmp.path, 'none')], env),
    false,
  );
  assert.equal(prefetchDriveKey(['snapshots', '--drive', join(tmp.path, 'nowhere')], env), false, 'no drive there');
  assert.equal(prefetchDriveKey(['snapshots', '--drive', plain], env), false, 'not encrypted');
  assert.equal(prefetchDriveKey(['snapshots', '--drive', junk], env), false, 'a config that is not JSON');
  assert.equal(kekCache.size, before);
});
