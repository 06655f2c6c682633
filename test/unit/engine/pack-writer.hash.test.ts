import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PackWriter } from '../../../src/engine/pack-writer';
import { WorkerPool } from '../../../src/engine/worker-pool';
import { BlobIndex } from '../../../src/engine/index-file';
import { contentId, blobId } from '../../../src/engine/hash';
import { encodeBlob } from '../../../src/engine/blob';
import { blobAad } from '../../../src/engine/config';
import type { Drive } from '../../../src/engine/drive';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

function driveBlob(drive: Drive, plain: Buffer, type: 'data' | 'tree' = 'data'): ReturnType<typeof encodeBlob> {
  const id = blobId(drive.ids.idKey, plain);
  return encodeBlob(drive.key, plain, id, undefined, blobAad(drive.config.version, type, id));
}

void test('packs hashed by a worker thread are named by the content ID of their bytes, in shared memory', async () => {
  const tmp = tempDir();
  const pool = new WorkerPool(null, 2);
  try {
    const drive = await createDrive(`${tmp.path}/drive`, { packSize: 1024 * 1024 });
    const index = await BlobIndex.load(drive);
    const asked: { shared: boolean; length: number }[] = [];
    const writer = new PackWriter(drive, index, undefined, undefined, (memory, length) => {
      asked.push({ shared: memory instanceof SharedArrayBuffer, length });
      return pool.hash(memory, length);
    });
    // 40 blobs of 100 KiB: four packs or so of 1 MiB, the last written by writeIndex; then one blob
    // tree of 80 MiB (a directory of a million entries can have one that big; validate.ts
    // MAX_TREE_BLOB), which grows a shared buffer far past the pack target
    for (let i = 0; i < 40; i++) await writer.add('data', driveBlob(drive, prng(`blob ${i}`, 100 * 1024)));
    const huge = prng('huge', 80 * 1024 * 1024);
    await writer.add('tree', driveBlob(drive, huge, 'tree'));
    await writer.writeIndex();
    assert.ok(writer.packsWritten >= 5, `${writer.packsWritten} packs`);
    assert.ok(
      writer.written.some(({ pack }) => pack.length > 80 * 1024 * 1024),
      'the huge blob has a pack of its own',
    );
    assert.equal(asked.length, writer.packsWritten, 'every pack was hashed by the hasher');
    assert.ok(
      asked.every((a) => a.shared),
      'the hasher got shared memory',
    );
    for (const { pack } of writer.written) {
      const bytes = readFileSync(drive.packs.packFile(pack).file);
      assert.equal(bytes.length, pack.length);
      assert.equal(contentId(bytes), pack.id, 'the pack file is named by the hash of its bytes');
    }
    // and the drive reads back what was written
    const again = await BlobIndex.load(drive);
    for (let i = 0; i < 40; i++) assert.ok(again.knows(blobId(drive.ids.idKey, prng(`blob ${i}`, 100 * 1024))));
    assert.ok(again.knows(blobId(drive.ids.idKey, huge)));
  } finally {
    await pool.close();
    tmp.cleanup();
  }
});

void test('a hasher that declines (null) leaves the pack writer to hash the pack itself', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/drive`);
    const index = await BlobIndex.load(drive);
    let asked = 0;
    const writer = new PackWriter(drive, index, undefined, undefined, () => {
      asked++;
      return null;
    });
    await writer.add('data', driveBlob(drive, Buffer.from('one small blob')));
    await writer.writeIndex();
    assert.equal(asked, 1);
    const [{ pack }] = writer.written;
    assert.equal(contentId(readFileSync(drive.packs.packFile(pack).file)), pack.id);
  } finally {
    tmp.cleanup();
  }
});

void test('a worker pool hashes shared memory as contentId does', async () => {
  const pool = new WorkerPool(null, 1);
  try {
    const memory = new SharedArrayBuffer(3 * 1024 * 1024);
    const bytes = Buffer.from(memory);
    prng('shared', bytes.length).copy(bytes);
    assert.equal(await pool.hash(memory, bytes.length), contentId(bytes));
    assert.equal(await pool.hash(memory, 1000), contentId(bytes.subarray(0, 1000)));
  } finally {
    await pool.close();
  }
});
