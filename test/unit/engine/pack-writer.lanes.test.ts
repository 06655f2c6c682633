import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PackWriter, WRITE_LANES } from '../../../src/engine/pack-writer';
import { BlobIndex } from '../../../src/engine/index-file';
import { blobId } from '../../../src/engine/hash';
import { encodeBlob } from '../../../src/engine/blob';
import { blobAad } from '../../../src/engine/config';
import type { Drive } from '../../../src/engine/drive';
import { createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

function driveBlob(drive: Drive, plain: Buffer): ReturnType<typeof encodeBlob> {
  const id = blobId(drive.ids.idKey, plain);
  return encodeBlob(drive.key, plain, id, undefined, blobAad(drive.config.version, 'data', id));
}

/** Slows every pack write of `drive` down and records how many ran at once, and in what order they started. */
function watchWrites(drive: Drive): { most: () => number; started: string[]; finished: string[] } {
  const packs = drive.packs;
  const write = packs.writePack.bind(packs);
  let now = 0;
  let most = 0;
  const started: string[] = [];
  const finished: string[] = [];
  packs.writePack = async (id, parts, length) => {
    now++;
    most = Math.max(most, now);
    started.push(id);
    try {
      await sleep(40);
      return await write(id, parts, length);
    } finally {
      now--;
      finished.push(id);
    }
  };
  return { most: () => most, started, finished };
}

async function fill(drive: Drive, writer: PackWriter, blobs: number): Promise<void> {
  for (let i = 0; i < blobs; i++) await writer.add('data', driveBlob(drive, prng(`lane blob ${i}`, 200 * 1024)));
  await writer.writeIndex();
}

void test('a directory drive writes two packs at once, never more, and every blob is on the drive after writeIndex', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/drive`, { packSize: 1024 * 1024 });
    const writer = new PackWriter(drive, await BlobIndex.load(drive));
    const seen = watchWrites(drive);
    await fill(drive, writer, 40);
    assert.ok(writer.packsWritten >= 6, `${writer.packsWritten} packs`);
    assert.ok(WRITE_LANES > 1);
    assert.equal(seen.most(), WRITE_LANES, 'the lanes overlapped, and no more than their number ran');
    const again = await BlobIndex.load(drive);
    for (let i = 0; i < 40; i++) assert.ok(again.knows(blobId(drive.ids.idKey, prng(`lane blob ${i}`, 200 * 1024))));
  } finally {
    tmp.cleanup();
  }
});

void test('a tape writes one pack at a time, in the order the packs were closed', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/tape`, {
      kind: 'tape',
      volumeSize: 64 * 1024 * 1024,
      volumes: 1,
      packSize: 1024 * 1024,
    });
    const writer = new PackWriter(drive, await BlobIndex.load(drive));
    const seen = watchWrites(drive);
    await fill(drive, writer, 40);
    assert.ok(writer.packsWritten >= 2, `${writer.packsWritten} packs`);
    assert.equal(seen.most(), 1);
    assert.deepEqual(seen.finished, seen.started);
  } finally {
    tmp.cleanup();
  }
});
