import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { verify } from '../../../src/engine/checker';
import type { Finding } from '../../../src/engine/checker';
import { loadTree } from '../../../src/engine/restorer';
import { BlobIndex, encodeIndex } from '../../../src/engine/index-file';
import { listSnapshots } from '../../../src/engine/snapshot';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const packFile = (drivePath: string, id: string): string => `${drivePath}/data/${id.slice(0, 2)}/${id}`;
const byKind = (fs: Finding[], kind: string): Finding[] => fs.filter((f) => f.kind === kind);

void test('the structure check names each pack missing, cut short or in no index, and each unreadable index or refs file', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    for (const f of ['a', 'b', 'c']) writeFileSync(`${src}/${f}.bin`, prng(f, 2 * 1024 * 1024));
    const dp = `${tmp.path}/d`;
    const drive = await createDrive(dp, { packSize: 1024 * 1024 });
    await backup({ drive, sources: src, cachePath: null });
    const index = await BlobIndex.load(drive);
    const packs = [...index.packs.values()].map((p) => p.pack);
    const clean = await verify({ drive, readData: true });
    assert.deepEqual([clean.ok, clean.errors, clean.infos, clean.snapshots], [true, [], [], 1]);
    assert.equal(clean.packs, packs.length);
    assert.equal(clean.blobs, index.size);
    assert.equal(
      clean.bytesRead,
      packs.reduce((sum, p) => sum + p.length, 0),
      'every pack read once, whole',
    );
    assert.equal((await verify({ drive })).bytesRead, 0, 'no data read without readData');

    const [gone, short] = packs;
    unlinkSync(packFile(dp, gone.id));
    truncateSync(packFile(dp, short.id), short.length - 10);
    const stray = 'f'.repeat(64);
    mkdirSync(`${dp}/data/ff`, { recursive: true });
    copyFileSync(packFile(dp, packs[2].id), packFile(dp, stray));
    const badIndex = '0'.repeat(64);
    writeFileSync(`${dp}/index/${badIndex}`, 'not an index');
    const absent = 'e'.repeat(64);
    const snapX = '5'.repeat(64);
    const other = 'c'.repeat(32);
    await drive.writeFile(
      'refs',
      snapX,
      Buffer.from(JSON.stringify({ version: 1, snapshot: snapX, drive: other, packs: [packs[3].id, absent] })),
    );
    await drive.writeFile('refs', 'snapY', Buffer.from('{'));

    const v = await verify({ drive });
    assert.equal(v.ok, false);
    assert.deepEqual(byKind(v.errors, 'missing-pack'), [
      {
        kind: 'missing-pack',
        severity: 'error',
        pack: gone.id,
        message: `pack ${gone.id} is listed in the index but missing`,
      },
      {
        kind: 'missing-pack',
        severity: 'error',
        pack: absent,
        snapshot: snapX,
        message: `pack ${absent} used by snapshot ${snapX} (stored on drive ${other}) is not in this drive's index`,
      },
    ]);
    assert.deepEqual(byKind(v.errors, 'pack-size'), [
      {
        kind: 'pack-size',
        severity: 'error',
        pack: short.id,
        message: `pack ${short.id} has ${short.length - 10} bytes, the index says ${short.length}`,
      },
    ]);
    const idx = byKind(v.errors, 'index');
    assert.equal(idx.length, 2, JSON.stringify(idx));
    assert.match(idx[0].message, new RegExp(`^index file ${badIndex}: `));
    assert.match(idx[1].message, /^refs\/snapY is unreadable: /);
    assert.deepEqual(v.infos, [
      {
        kind: 'unindexed-pack',
        severity: 'info',
        pack: stray,
        message: `pack ${stray} is in no index (left by an interrupted backup); \`baton repo prune\` removes it`,
      },
    ]);
    assert.equal(v.errors.length, 5, JSON.stringify(v.errors));

    const r = await verify({ drive, readData: true });
    const unread = byKind(r.errors, 'pack-data').filter((f) => f.pack === gone.id);
    assert.equal(unread.length, 1);
    assert.match(unread[0].message, new RegExp(`^pack ${gone.id}: `));
    assert.ok(r.errors.some((f) => f.pack === short.id && (f.kind === 'pack-data' || f.kind === 'blob-data')));
  } finally {
    tmp.cleanup();
  }
});

void test('a chunk in no index is named with its file and the first snapshot walked, once for trees both snapshots share', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/keep.bin`, prng('k', 1024 * 1024));
    writeFileSync(`${src}/lost.bin`, prng('l', 1024 * 1024));
    const dp = `${tmp.path}/d`;
    const drive = await createDrive(dp, { packSize: 512 * 1024 });
    await backup({ drive, sources: src, cachePath: null });
    await backup({ drive, sources: src, cachePath: null });
    const snaps = await listSnapshots(drive);
    assert.equal(snaps.length, 2);
    const index = await BlobIndex.load(drive);
    // find lost.bin's first chunk wherever the sources sit in the tree
    const find = async (treeId: string): Promise<string | undefined> => {
      for (const n of await loadTree(index, treeId)) {
        if (n.name === 'lost.bin') return n.content?.[0];
        const found = n.subtree ? await find(n.subtree) : undefined;
        if (found) return found;
      }
      return undefined;
    };
    const chunk = await find(snaps[0].snapshot.tree);
    assert.ok(chunk);
    const lostPack = index.get(chunk)?.pack.id;
    assert.ok(lostPack);
    const old = await drive.list('index');
    const packs = [...index.packs.values()].map((p) => p.pack).filter((p) => p.id !== lostPack);
    const { id, data } = encodeIndex(drive, { version: 1, packs, supersedes: old });
    await drive.writeFile('index', id, data);

    const v = await verify({ drive });
    const missing = v.errors.filter((f) => f.kind === 'missing-blob' && f.blob === chunk);
    assert.equal(missing.length, 1, JSON.stringify(v.errors));
    assert.equal(missing[0].snapshot, snaps[0].id, 'the first snapshot listed');
    assert.match(missing[0].path ?? '', /\/lost\.bin$/);
    assert.equal(
      missing[0].message,
      `chunk ${chunk} of ${missing[0].path} in snapshot ${snaps[0].id} is not in any index`,
    );
    assert.ok(v.errors.every((f) => f.kind === 'missing-blob' && f.snapshot === snaps[0].id));
    assert.deepEqual(
      v.infos.map((f) => [f.kind, f.pack]),
      [['unindexed-pack', lostPack]],
      'the pack left out of the index is still on the drive',
    );
    assert.equal(v.snapshots, 2);
  } finally {
    tmp.cleanup();
  }
});

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
