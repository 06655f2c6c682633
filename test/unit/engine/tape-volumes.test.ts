import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { forget, prune } from '../../../src/engine/pruner';
import { verify } from '../../../src/engine/checker';
import { repairIndex } from '../../../src/engine/repair-index';
import { scanVolumes } from '../../../src/engine/tape-scan';
import { BlobIndex } from '../../../src/engine/index-file';
import { DriveFullError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';
import { POOL_FILE, labelGeneration, planRecycle } from '../../../src/engine/tape-volumes';
import { createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

/** A tape of three 10 MiB volumes; each backup of 6 MiB of new data takes a volume of its own. */
async function fullTape(root: string): Promise<{ drive: Drive; last: string }> {
  const drive = await createDrive(`${root}/tape`, { kind: 'tape', volumeSize: 10 * MiB, volumes: 3 });
  let last = '';
  for (let i = 1; i <= 3; i++) {
    writeFileSync(`${root}/src/data`, prng(`v${i}`, 6 * MiB));
    last = (await backup({ drive, app: 'a', sources: `${root}/src`, cachePath: null })).snapshotId;
  }
  assert.deepEqual(readdirSync(`${root}/tape/volumes`).sort(), ['vol-000001', 'vol-000002', 'vol-000003']);
  writeFileSync(`${root}/src/data`, prng('v4', 6 * MiB));
  await assert.rejects(backup({ drive, app: 'a', sources: `${root}/src`, cachePath: null }), DriveFullError);
  writeFileSync(`${root}/src/data`, prng('v3', 6 * MiB));
  // volumes last written before the grace window (the lock stale age) may be recycled
  for (const v of readdirSync(`${root}/tape/volumes`)) utimesSync(`${root}/tape/volumes/${v}`, 1e6, 1e6);
  return { drive, last };
}

async function backupAndCheck(root: string, drive: Drive, kept: string): Promise<void> {
  writeFileSync(`${root}/src/data`, prng('v5', 6 * MiB));
  const r = await backup({ drive, app: 'a', sources: `${root}/src`, cachePath: null });
  const index = await BlobIndex.load(drive);
  const volumes = new Set([...index.packs.values()].map((p) => p.pack.volume));
  assert.ok(volumes.has(1), `the new backup wrote into recycled volume 1: ${[...volumes].join()}`);
  const v = await verify({ drive, readData: true });
  assert.equal(v.ok, true, JSON.stringify(v.errors));
  await restore({ drive, snapshotId: kept, target: `${root}/out3` });
  assert.deepEqual(readFileSync(`${root}/out3/data`), prng('v3', 6 * MiB));
  await restore({ drive, snapshotId: r.snapshotId, target: `${root}/out5` });
  assert.deepEqual(compareTrees(`${root}/src`, `${root}/out5`), []);
}

void test('prune recycles tape volumes with no live pack; the next backup writes into the lowest free one', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    const { drive, last } = await fullTape(tmp.path);
    await forget({ drive, policy: { last: 1 } });
    const r = await prune({ drive });
    assert.equal(r.volumesRecycled, 2);
    assert.equal(r.volumesFree, 2);
    const pool = JSON.parse(readFileSync(`${tmp.path}/tape/${POOL_FILE}`, 'utf8')) as { free: number[] };
    assert.deepEqual(pool.free, [1, 2]);
    const label = readFileSync(`${tmp.path}/tape/volumes/vol-000001`);
    assert.equal(label.length, 4096, 'a recycled volume holds only its new label');
    assert.equal(labelGeneration(label, drive.id, 1), 1);
    await backupAndCheck(tmp.path, drive, last);
    // repair reads the volumes: the recycled volume 2 is free, volume 1 holds only the new packs
    const before = await BlobIndex.load(drive);
    await repairIndex({ drive, readAllPacks: true });
    const after = await BlobIndex.load(drive);
    assert.deepEqual([...after.packs.keys()].sort(), [...before.packs.keys()].sort());
  } finally {
    tmp.cleanup();
  }
});

void test('a prune cut short after the pool file is written leaves recycled volumes free, never read back', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    const { drive, last } = await fullTape(tmp.path);
    await forget({ drive, policy: { last: 1 } });
    const cut = (step: string): void => {
      if (step === 'pool-written') throw new Error('killed between the steps');
    };
    await assert.rejects(prune({ drive, onRecycleStep: cut }), /killed between the steps/);
    // the volumes still hold their old packs under the old label, but the pool says free: skipped
    assert.ok(readFileSync(`${tmp.path}/tape/volumes/vol-000001`).length > 4096);
    const scanned = new Set((await scanVolumes(drive)).map((p) => p.volume));
    assert.deepEqual([...scanned], [3]);
    const v = await verify({ drive });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
    await backupAndCheck(tmp.path, drive, last);
    // a later prune finishes the job: the superseded index files go, nothing live is recycled
    const r = await prune({ drive });
    assert.equal(r.volumesRecycled, 0);
    assert.equal(r.volumesFree, 1, 'volume 2 stays free; volume 1 was taken by the new backup');
    assert.equal(r.indexFilesReplaced > 1, true, 'the index files the cut prune left are superseded now');
  } finally {
    tmp.cleanup();
  }
});

void test('planRecycle keeps a volume with one live pack, free volumes and volumes written within the grace window', () => {
  const pool = { version: 1 as const, current: 4, free: [2], generations: { '2': 1 } };
  const started = [1, 2, 3, 4, 5].map((n) => ({ n, mtimeMs: n === 5 ? 2000 : 10 }));
  assert.deepEqual(planRecycle(started, pool, new Set([3]), 1000), [1, 4]);
});
