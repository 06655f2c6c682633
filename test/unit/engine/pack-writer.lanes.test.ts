import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PackWriter, WRITE_LANES } from '../../../src/engine/pack-writer';
import { BlobIndex, readIndexFile } from '../../../src/engine/index-file';
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

void test('an index written while the other lane hands over a pack names only the packs whose sync it waited for', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/drive`, { packSize: 1024 * 1024 });
    const writer = new PackWriter(drive, await BlobIndex.load(drive));
    const packs = drive.packs;
    // packs handed to the drive so far, and what had been handed when each sync began
    const handed: string[] = [];
    const syncs: Set<string>[] = [];
    const write = packs.writePack.bind(packs);
    let nextHanded: (() => void) | null = null;
    packs.writePack = async (id, parts, length) => {
      const r = await write(id, parts, length);
      handed.push(id);
      nextHanded?.();
      return r;
    };
    // the first sync (the first index, from one lane) is held until the other lane has handed a
    // pack over and settled it: the index must not name that pack
    const sync = packs.sync.bind(packs);
    packs.sync = async () => {
      syncs.push(new Set(handed));
      if (syncs.length === 1) {
        await new Promise<void>((resolve) => (nextHanded = resolve));
        nextHanded = null;
        await new Promise((r) => setImmediate(r));
      }
      return sync();
    };
    const indexes: string[] = [];
    const writeFile = drive.writeFile.bind(drive);
    drive.writeFile = (kind, id, data) => {
      if (kind === 'index') indexes.push(id);
      return writeFile(kind, id, data);
    };
    // tiny blobs: 10,000 of them (INDEX_BLOBS) fill some packs before the first index is due
    for (let i = 0; i < 16_000; i++) await writer.add('data', driveBlob(drive, Buffer.from(`tiny ${i}`)));
    await writer.writeIndex();
    assert.ok(syncs.length >= 2 && handed.length > syncs[0].size, 'a pack was handed over while the first sync waited');
    const first = await readIndexFile(drive, indexes[0]);
    for (const p of first.packs)
      assert.ok(syncs[0].has(p.id), `the first index names pack ${p.id}, handed after its sync began`);
    const again = await BlobIndex.load(drive);
    for (let i = 0; i < 16_000; i += 997) assert.ok(again.knows(blobId(drive.ids.idKey, Buffer.from(`tiny ${i}`))));
  } finally {
    tmp.cleanup();
  }
});
