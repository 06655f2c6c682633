import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { prune } from '../../../src/engine/pruner';
import { repairIndex } from '../../../src/engine/repair-index';
import { encodeIndex, readIndexFiles } from '../../../src/engine/index-file';
import { Lock } from '../../../src/engine/lock';
import { CorruptionError, LockedError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';
import { createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/** A drive with two snapshots of a small tree, in several packs and index files. */
async function driveWithBackups(root: string, kind: 'directory' | 'tape' = 'directory'): Promise<Drive> {
  const src = join(root, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}`), prng(`f${i}`, 300_000 + i * 1000));
  writeFileSync(join(src, 'sub', 'small'), 'small file\n');
  const drive = await createDrive(join(root, 'drive'), {
    kind,
    packSize: 1024 * 1024,
    ...(kind === 'tape' ? { volumeSize: 16 * 1024 * 1024, volumes: 8 } : {}),
  });
  await backup({ drive, sources: src, cachePath: null });
  writeFileSync(join(src, 'f-new'), prng('new', 900_000));
  await backup({ drive, sources: src, cachePath: null });
  return drive;
}

const indexFiles = (drive: Drive): string[] => readdirSync(join(drive.path, 'index')).sort();

/** Restores the newest snapshot and compares it with the source. */
async function restoresIntact(root: string, drive: Drive): Promise<void> {
  const r = await verify({ drive, readData: true });
  assert.ok(r.ok, JSON.stringify(r.errors));
  const snaps = readdirSync(join(drive.path, 'snapshots'));
  const target = join(root, `restored-${Date.now()}`);
  for (const snapshotId of snaps) {
    const out = join(target, snapshotId);
    await restore({ drive, snapshotId, target: out });
  }
  const newest = await backup({ drive, sources: join(root, 'src'), cachePath: null });
  await restore({ drive, snapshotId: newest.snapshotId, target: join(target, 'newest') });
  assert.deepEqual(compareTrees(join(root, 'src'), join(target, 'newest')), []);
}

void test('a flipped byte in an index file stops backup, restore and prune with a message naming repair index; repair fixes it', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path);
    const damaged = indexFiles(drive)[0];
    const file = join(drive.path, 'index', damaged);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x40;
    writeFileSync(file, bytes);
    const repairHint = /baton repo repair index --drive /;
    await assert.rejects(backup({ drive, sources: join(tmp.path, 'src'), cachePath: null }), repairHint);
    await assert.rejects(prune({ drive }), repairHint);
    const snap = readdirSync(join(drive.path, 'snapshots'))[0];
    await assert.rejects(restore({ drive, snapshotId: snap, target: join(tmp.path, 'r0') }), repairHint);

    const packs = (await drive.packs.listPacks()).length;
    const r = await repairIndex({ drive });
    assert.deepEqual(
      r.damagedIndexFiles.map((f) => f.name),
      [damaged],
    );
    assert.ok(r.packsRead > 0, 'the packs of the damaged file were read from their trailers');
    assert.equal(r.packsRead + r.packsKept, packs);
    assert.deepEqual(r.unreadable, []);
    assert.ok(!indexFiles(drive).includes(damaged), 'the damaged file is gone');
    await restoresIntact(tmp.path, drive);
    const pruned = await prune({ drive });
    assert.equal(pruned.packsDeleted, 0, JSON.stringify(pruned));
  } finally {
    tmp.cleanup();
  }
});

void test('a truncated index file and a deleted one: repair reads the packs they listed, and prune does not delete them before', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path);
    const [first, second] = indexFiles(drive);
    truncateSync(join(drive.path, 'index', first), 20);
    unlinkSync(join(drive.path, 'index', second));
    await assert.rejects(backup({ drive, sources: join(tmp.path, 'src'), cachePath: null }), CorruptionError);
    unlinkSync(join(drive.path, 'index', first));
    // with the files gone, prune must not take their packs for orphans
    await assert.rejects(prune({ drive }), /is in no index.*repair index/);
    const r = await repairIndex({ drive });
    assert.ok(r.packsRead > 0);
    await restoresIntact(tmp.path, drive);
  } finally {
    tmp.cleanup();
  }
});

void test('prune deletes nothing while chunks a snapshot uses are in no index (their index file lost), and works after repair', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path);
    // what a lost index file leaves: the trees indexed, the packs of chunks not
    for (const [name, file] of await readIndexFiles(drive)) {
      const packs = file.packs.filter((p) => p.blobs.some((b) => b.type === 'tree'));
      const { id, data } = encodeIndex(drive, { version: 1, packs });
      await drive.writeFile('index', id, data);
      await drive.remove('index', name);
    }
    const before = (await drive.packs.listPacks()).map((p) => p.id);
    process.env.BATON_LOCK_STALE_SECONDS = '1'; // unindexed packs older than this are orphans to prune
    try {
      await new Promise((r) => setTimeout(r, 1100));
      await assert.rejects(
        prune({ drive }),
        /data blob [0-9a-f]{64} of snapshot .* is in no index.*repair index --drive/,
      );
      assert.deepEqual(
        (await drive.packs.listPacks()).map((p) => p.id),
        before,
        'no pack deleted',
      );
      const r = await repairIndex({ drive });
      assert.ok(r.packsRead > 0 && r.packsKept > 0, JSON.stringify(r));
      assert.equal((await prune({ drive })).packsDeleted, 0);
    } finally {
      delete process.env.BATON_LOCK_STALE_SECONDS;
    }
    await restoresIntact(tmp.path, drive);
  } finally {
    tmp.cleanup();
  }
});

void test('--read-all-packs reads every trailer; a damaged pack is named, left in place, and left out of the index', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path);
    const all = await drive.packs.listPacks();
    const kept = await repairIndex({ drive });
    assert.equal(kept.packsRead, 0, 'an intact index is kept without reading packs');
    assert.equal(kept.packsKept, all.length);

    const victim = all[all.length - 1];
    const file = join(drive.path, 'data', victim.id.slice(0, 2), victim.id);
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] ^= 0x01; // inside the sealed trailer
    writeFileSync(file, bytes);
    const r = await repairIndex({ drive, readAllPacks: true });
    assert.equal(r.packsRead, all.length - 1);
    assert.equal(r.packsKept, 0);
    assert.deepEqual(
      r.unreadable.map((u) => u.pack),
      [victim.id],
    );
    assert.match(r.unreadable[0].message, /trailer failed authentication/);
    assert.ok(readdirSync(join(drive.path, 'data', victim.id.slice(0, 2))).includes(victim.id), 'left in place');
    const v = await verify({ drive });
    assert.ok(
      v.infos.some((f) => f.message.includes(victim.id)),
      'verify sees the pack as unindexed',
    );
  } finally {
    tmp.cleanup();
  }
});

void test('repair index takes the exclusive lock: it refuses to run beside a backup', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path);
    const before = indexFiles(drive);
    const held = await Lock.acquire(drive, false, 'backup');
    await assert.rejects(repairIndex({ drive }), LockedError);
    await held.release();
    assert.deepEqual(indexFiles(drive), before, 'nothing changed');
  } finally {
    tmp.cleanup();
  }
});

void test('a tape drive: repair finds the packs by scanning the volumes, past dead space', async () => {
  const tmp = tempDir();
  try {
    const drive = await driveWithBackups(tmp.path, 'tape');
    const vol = join(drive.path, 'volumes', 'vol-000001');
    // a write cut short: half a pack's worth of bytes, then the next backup's packs after it
    writeFileSync(vol, Buffer.concat([readFileSync(vol), Buffer.from('BATONPK1'), prng('dead', 50_000)]));
    writeFileSync(join(tmp.path, 'src', 'f-later'), prng('later', 400_000));
    await backup({ drive, sources: join(tmp.path, 'src'), cachePath: null });
    const packs = (await verify({ drive })).packs;
    for (const f of indexFiles(drive)) unlinkSync(join(drive.path, 'index', f));
    const r = await repairIndex({ drive });
    assert.equal(r.packsRead, packs);
    assert.deepEqual(r.unreadable, []);
    await restoresIntact(tmp.path, drive);
  } finally {
    tmp.cleanup();
  }
});
