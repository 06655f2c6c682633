import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { loadTree, openSnapshotDrives, restore } from '../../../src/engine/restorer';
import { readSnapshot } from '../../../src/engine/snapshot';
import { AbortedError, CorruptionError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';
import type { BlobLocation } from '../../../src/engine/index-file';
import { allocatedBytes, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

/** Where the first chunk of a top-level file of a snapshot is stored. */
async function chunkOf(drive: Drive, snapshotId: string, name: string, nth = 0): Promise<BlobLocation> {
  const snap = await readSnapshot(drive, snapshotId);
  const { index } = await openSnapshotDrives(drive, snap);
  const node = (await loadTree(index, snap.tree)).find((n) => n.name === name);
  const loc = node?.content && index.get(node.content[nth]);
  assert.ok(loc, `no chunk ${nth} of ${name}`);
  return loc;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

void test('big files are split over the workers and restored byte for byte, holes and hard links kept', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/big`, prng('big', 45 * MiB + 12345));
    linkSync(`${src}/big`, `${src}/big-link`);
    // 40 MiB, zero but for data around part boundaries and at the very end (a hole before it)
    const fd = openSync(`${src}/holey`, 'w');
    for (const at of [0, 8 * MiB - 1000, 20 * MiB, 40 * MiB - 5000]) writeSync(fd, prng(`h${at}`, 5000), 0, 5000, at);
    closeSync(fd);
    // just above the size where the main thread opens the file and the workers share it
    writeFileSync(`${src}/edge`, prng('edge', 16 * MiB + 1));
    writeFileSync(`${src}/small`, 'x');
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });
    const fdsBefore = openFds();
    const out = `${tmp.path}/out`;
    const res = await restore({ drive, snapshotId: r.snapshotId, target: out });
    assert.equal(res.bytes, 45 * MiB + 12345 + 40 * MiB + 16 * MiB + 1 + 1, "a hard link's content is written once");
    assert.deepEqual(compareTrees(src, out), []);
    assert.ok(allocatedBytes(`${out}/holey`) < 2 * MiB, `holey file takes ${allocatedBytes(`${out}/holey`)} bytes`);
    assert.equal(openFds(), fdsBefore, 'every pack and target descriptor is closed');
    // one worker does it too, and a second run into the same target finishes identically
    await restore({ drive, snapshotId: r.snapshotId, target: out, workers: 1 });
    assert.deepEqual(compareTrees(src, out), []);
  } finally {
    tmp.cleanup();
  }
});

void test('many small files are restored in batches, with progress once per file', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    for (let d = 0; d < 20; d++) {
      mkdirSync(`${src}/d${d}`, { recursive: true });
      for (let i = 0; i < 150; i++) writeFileSync(`${src}/d${d}/f${i}`, prng(`${d}-${i}`, (d * 150 + i) % 9000));
    }
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });
    let updates = 0;
    const res = await restore({
      drive,
      snapshotId: r.snapshotId,
      target: `${tmp.path}/out`,
      progress: { update: () => void updates++ },
    });
    assert.equal(res.files, 3000);
    assert.ok(updates >= 3000, `${updates} progress updates`);
    assert.deepEqual(compareTrees(src, `${tmp.path}/out`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('a corrupted chunk is found during restore and named with its pack and file; a missing pack too', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    for (let i = 0; i < 30; i++) writeFileSync(`${src}/f${String(i).padStart(2, '0')}`, prng(`c${i}`, 300_000));
    writeFileSync(`${src}/z-big`, prng('zbig', 30 * MiB));
    const drive = await createDrive(`${tmp.path}/d`, { packSize: 4 * MiB });
    const r = await backup({ drive, sources: src, cachePath: null });

    for (const [name, nth] of [
      ['f17', 0],
      ['z-big', 20],
    ] as const) {
      const loc = await chunkOf(drive, r.snapshotId, name, nth);
      const { file, offset } = drive.packs.packFile(loc.pack);
      const at = offset + loc.blob.offset + Math.floor(loc.blob.length / 2);
      const byte = Buffer.alloc(1);
      const fd = openSync(file, 'r+');
      readSync(fd, byte, 0, 1, at);
      writeSync(fd, Buffer.from([byte[0] ^ 0xff]), 0, 1, at);
      await assert.rejects(
        restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out-${name}` }),
        (err: Error) =>
          err instanceof CorruptionError &&
          err.blob === loc.blob.id &&
          err.pack === loc.pack.id &&
          err.message.includes(loc.blob.id) &&
          err.message.includes(`${tmp.path}/out-${name}/${name}`),
        name,
      );
      writeSync(fd, byte, 0, 1, at); // repaired for the next case
      closeSync(fd);
    }

    // a pack cut short inside a blob: the blobs before the cut (read in the same pread) restore,
    // the one cut is named
    {
      const cut = await chunkOf(drive, r.snapshotId, 'f12');
      const before = await chunkOf(drive, r.snapshotId, 'f11');
      assert.equal(before.pack.id, cut.pack.id, 'f11 and f12 share a pack');
      const { file, offset } = drive.packs.packFile(cut.pack);
      const saved = readFileSync(file);
      truncateSync(file, offset + cut.blob.offset + 1000);
      const out = `${tmp.path}/out-cut`;
      await assert.rejects(
        restore({ drive, snapshotId: r.snapshotId, target: out, workers: 1 }),
        (err: Error) =>
          err instanceof CorruptionError &&
          err.blob === cut.blob.id &&
          /cut short/.test(err.message) &&
          err.message.includes(`${out}/f12`),
      );
      assert.deepEqual(readFileSync(`${out}/f11`), readFileSync(`${src}/f11`));
      writeFileSync(file, saved);
    }

    const loc = await chunkOf(drive, r.snapshotId, 'f05');
    rmSync(drive.packs.packFile(loc.pack).file);
    await assert.rejects(
      restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out-missing` }),
      (err: Error) => err.message.includes(loc.pack.id) && /cannot be read/.test(err.message),
    );
  } finally {
    tmp.cleanup();
  }
});

void test('cancellation in the middle of a big file stops every worker and leaves no descriptor open', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/a-small`, 'first');
    writeFileSync(`${src}/big`, prng('cancel', 96 * MiB));
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: src, cachePath: null });
    const fdsBefore = openFds();
    const ac = new AbortController();
    let abortedAt = 0;
    await assert.rejects(
      restore({
        drive,
        snapshotId: r.snapshotId,
        target: `${tmp.path}/out`,
        signal: ac.signal,
        progress: {
          update: () => {
            if (!abortedAt) {
              abortedAt = Date.now();
              ac.abort();
            }
          },
        },
      }),
      AbortedError,
    );
    assert.ok(Date.now() - abortedAt < 1000, `took ${Date.now() - abortedAt} ms`);
    assert.equal(openFds(), fdsBefore, 'every pack and target descriptor is closed');
    // running it again finishes the interrupted target
    await restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    assert.deepEqual(compareTrees(src, `${tmp.path}/out`), []);
  } finally {
    tmp.cleanup();
  }
});
