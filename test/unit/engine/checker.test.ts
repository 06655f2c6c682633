import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, openSync, readSync, readdirSync, closeSync, writeSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { verify } from '../../../src/engine/checker';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('verify finds a flipped byte in a pack and names the pack, the file and the snapshot', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/victim.bin`, prng('v', 3 * 1024 * 1024));
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: `${tmp.path}/src`, cachePath: null });
    assert.equal((await verify({ drive, readData: true })).ok, true);
    const sub = readdirSync(`${tmp.path}/d/data`)[0];
    const packFile = `${tmp.path}/d/data/${sub}/${readdirSync(`${tmp.path}/d/data/${sub}`)[0]}`;
    const fd = openSync(packFile, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 1000);
    b[0] ^= 0x40;
    writeSync(fd, b, 0, 1, 1000);
    closeSync(fd);
    assert.equal((await verify({ drive })).ok, true, 'a structure check does not read data');
    const v = await verify({ drive, readData: true });
    assert.equal(v.ok, false);
    const blobErr = v.errors.find((e) => e.kind === 'blob-data');
    assert.ok(blobErr, JSON.stringify(v.errors));
    assert.equal(blobErr.snapshot, r.snapshotId);
    assert.match(blobErr.path ?? '', /victim\.bin$/);
    assert.match(blobErr.message, /pack [0-9a-f]{64}/);
    assert.ok(v.errors.some((e) => e.kind === 'pack-data' && e.pack === blobErr.pack));
  } finally {
    tmp.cleanup();
  }
});
