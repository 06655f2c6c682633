import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { listSnapshots } from '../../../src/engine/snapshot';
import { Drive } from '../../../src/engine/drive';
import { WrongPasswordError } from '../../../src/engine/errors';
import { PASSWORD, allocatedBytes, buildAwkwardTree, createDrive } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

void test('awkward tree round-trips byte for byte with metadata (directory drive, encrypted)', async () => {
  const tmp = tempDir();
  try {
    buildAwkwardTree(`${tmp.path}/src`);
    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: `${tmp.path}/src`, cachePath: `${tmp.path}/cache.json` });
    assert.equal(r.incomplete, false, JSON.stringify(r.errors.concat(r.warnings)));
    await restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    assert.deepEqual(compareTrees(`${tmp.path}/src`, `${tmp.path}/out`), []);
    assert.ok(allocatedBytes(`${tmp.path}/out/sparse`) < 4 * 1024 * 1024, 'holes of the sparse file stay holes');
    // restoring again into the same target (as after an interrupted restore) finishes it identically
    await restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    assert.deepEqual(compareTrees(`${tmp.path}/src`, `${tmp.path}/out`), []);

    // an unchanged re-run reads nothing again and stores no new data, same tree
    const r2 = await backup({ drive, sources: `${tmp.path}/src`, cachePath: `${tmp.path}/cache.json` });
    assert.equal(r2.stats.newBytes, 0);
    assert.equal(r2.stats.cachedFiles, r2.stats.files);
    const snaps = await listSnapshots(drive);
    assert.equal(snaps.length, 2);
    assert.equal(snaps[0].snapshot.tree, snaps[1].snapshot.tree);

    // subtree restore puts the directory's contents into the target
    const sub = await restore({
      drive,
      snapshotId: r.snapshotId.slice(0, 10),
      target: `${tmp.path}/sub`,
      subtree: 'hard',
    });
    assert.equal(sub.files, 2);
    assert.deepEqual(readdirSync(`${tmp.path}/sub`).sort(), ['a', 'b']);
  } finally {
    tmp.cleanup();
  }
});

void test('a file larger than a tape volume spans volumes and round-trips (tape drive, unencrypted)', async () => {
  const tmp = tempDir();
  try {
    buildAwkwardTree(`${tmp.path}/src`, { bigFile: 26 * 1024 * 1024 });
    const drive = await createDrive(`${tmp.path}/tape`, {
      kind: 'tape',
      volumeSize: 10 * 1024 * 1024,
      encryption: false,
    });
    const reasons: string[] = [];
    const r = await backup({
      drive,
      sources: `${tmp.path}/src`,
      cachePath: null,
      checkpointEvery: { seconds: 3600, bytes: 2 ** 40 },
      onCheckpoint: (cp) => void reasons.push(cp.reason),
    });
    const vols = readdirSync(`${tmp.path}/tape/volumes`).sort();
    assert.ok(vols.length >= 3, `expected several volumes, got ${vols.join()}`);
    for (const v of vols) assert.ok(statSync(`${tmp.path}/tape/volumes/${v}`).size <= 10 * 1024 * 1024);
    assert.ok(reasons.filter((x) => x === 'volume-change').length >= vols.length - 1, reasons.join());
    // a later command needs only the path: the config says it is a tape
    const again = await Drive.open(`${tmp.path}/tape`);
    assert.equal(again.kind, 'tape');
    await restore({ drive: again, snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    assert.deepEqual(compareTrees(`${tmp.path}/src`, `${tmp.path}/out`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('a wrong passphrase is refused and a missing one asked for', async () => {
  const tmp = tempDir();
  try {
    await createDrive(`${tmp.path}/d`);
    await assert.rejects(Drive.open(`${tmp.path}/d`, { password: 'nope' }), WrongPasswordError);
    await assert.rejects(Drive.open(`${tmp.path}/d`), /is encrypted and no password was given/);
    await assert.rejects(
      Drive.open(`${tmp.path}/none`, { password: PASSWORD }),
      /no repository at .*baton repo init --drive/,
    );
  } finally {
    tmp.cleanup();
  }
});

void test('a drive and a file cache inside the backed-up tree are left out of the snapshot', async () => {
  const tmp = tempDir();
  try {
    writeFileSync(`${tmp.path}/data.txt`, 'data');
    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: tmp.path, cachePath: `${tmp.path}/cache.json` });
    assert.equal(r.incomplete, false, JSON.stringify(r.warnings));
    await backup({ drive, sources: tmp.path, cachePath: `${tmp.path}/cache.json` });
    await restore({ drive, snapshotId: r.snapshotId, target: `${tmp.path}-out` });
    assert.deepEqual(readdirSync(`${tmp.path}-out`), ['data.txt']);
  } finally {
    tmp.cleanup();
    rmSync(`${tmp.path}-out`, { recursive: true, force: true });
  }
});
