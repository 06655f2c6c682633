/**
 * Swapped metadata objects on a drive, put there by someone who can write the drive but has no key
 * (repository format 4): an index file copied under snapshots/ and a snapshot copied under index/
 * fail authentication, refused with an error naming the object and `baton repo verify`, and
 * nothing outside the drive changes. A version 2 drive (the format before) still backs up,
 * restores and stores its metadata unbound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { listSnapshots, readSnapshot } from '../../../src/engine/snapshot';
import { readIndexFiles } from '../../../src/engine/index-file';
import { decodeJson } from '../../../src/engine/blob';
import { Drive } from '../../../src/engine/drive';
import { CorruptionError } from '../../../src/engine/errors';
import { createDrive, PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

function source(tmp: string): string {
  const src = join(tmp, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'hello\n');
  writeFileSync(join(src, 'b.bin'), prng('b', 300_000));
  writeFileSync(join(tmp, 'canary'), 'keep\n');
  return src;
}

const refused = (what: RegExp) => (e: Error) =>
  e instanceof CorruptionError &&
  what.test(e.message) &&
  /failed authentication/.test(e.message) &&
  /baton repo verify/.test(e.message);

void test('version 4 (made by init as for an older baton): an index under snapshots/ and a snapshot under index/ are refused unread; it backs up and restores', async () => {
  const tmp = tempDir();
  try {
    const src = source(tmp.path);
    const drive = await createDrive(join(tmp.path, 'd'), { formatVersion: 4 });
    assert.equal(drive.config.version, 4);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const dir = (d: string) => join(drive.path, d);
    const [indexId] = readdirSync(dir('index'));

    copyFileSync(join(dir('index'), indexId), join(dir('snapshots'), indexId));
    await assert.rejects(listSnapshots(drive), refused(new RegExp(`snapshot ${indexId}`)));
    await assert.rejects(readSnapshot(drive, indexId), refused(/snapshot/));
    await assert.rejects(
      restore({ drive, snapshotId: indexId, target: join(tmp.path, 'out') }),
      refused(new RegExp(`snapshot ${indexId}`)),
    );
    await drive.remove('snapshots', indexId);

    copyFileSync(join(dir('snapshots'), snapshotId), join(dir('index'), snapshotId));
    await assert.rejects(readIndexFiles(drive), refused(new RegExp(`index file ${snapshotId}`)));
    await drive.remove('index', snapshotId);

    assert.equal(readFileSync(join(tmp.path, 'canary'), 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(tmp.path).sort(), ['canary', 'd', 'src']);
    await restore({ drive, snapshotId, target: join(tmp.path, 'out') });
    assert.deepEqual(readFileSync(join(tmp.path, 'out', 'b.bin')), readFileSync(join(src, 'b.bin')));
  } finally {
    tmp.cleanup();
  }
});

void test('version 2 (before binding): backs up, restores, and its metadata opens with no associated data', async () => {
  const tmp = tempDir();
  try {
    const src = source(tmp.path);
    const path = join(tmp.path, 'd');
    await createDrive(path, { formatVersion: 4 });
    const cfg = JSON.parse(readFileSync(join(path, 'config'), 'utf8')) as { version: number };
    writeFileSync(join(path, 'config'), JSON.stringify({ ...cfg, version: 2 }));
    const drive = await Drive.open(path, { password: PASSWORD });
    assert.equal(drive.config.version, 2);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });
    const stored = readFileSync(join(path, 'snapshots', snapshotId));
    assert.equal((decodeJson(drive.key, stored, 'snapshot', Buffer.alloc(0)) as { version: number }).version, 1);
    assert.throws(() => decodeJson(drive.key, stored, 'snapshot', Buffer.from('baton snapshot v4')), CorruptionError);
    assert.equal((await listSnapshots(drive)).length, 1);
    await restore({ drive, snapshotId, target: join(tmp.path, 'out') });
    assert.deepEqual(readFileSync(join(tmp.path, 'out', 'b.bin')), readFileSync(join(src, 'b.bin')));
  } finally {
    tmp.cleanup();
  }
});
