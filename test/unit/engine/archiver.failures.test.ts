import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { listSnapshots } from '../../../src/engine/snapshot';
import { AbortedError, DriveFullError, PathEscapeError } from '../../../src/engine/errors';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { PackWriter } from '../../../src/engine/pack-writer';
import { BlobIndex } from '../../../src/engine/index-file';
import { encodeBlob, encodeJson } from '../../../src/engine/blob';
import { encodeTree } from '../../../src/engine/tree';
import type { TreeNode } from '../../../src/engine/tree';
import { blobId, contentId } from '../../../src/engine/hash';
import type { Drive } from '../../../src/engine/drive';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';
import { blobAad, metadataAad } from '../../../src/engine/config';

function randomTree(dir: string, files: number, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(`${dir}/f${i}`, prng(`${dir}-${i}`, size));
}

void test('a tape out of volumes fails cleanly; the backup resumes from its last checkpoint on another drive', async () => {
  const tmp = tempDir();
  try {
    randomTree(`${tmp.path}/src`, 6, 5 * 1024 * 1024);
    const tape = await createDrive(`${tmp.path}/tape`, { kind: 'tape', volumeSize: 10 * 1024 * 1024, volumes: 2 });
    const cps: Checkpoint[] = [];
    await assert.rejects(
      backup({
        drive: tape,
        sources: `${tmp.path}/src`,
        cachePath: null,
        checkpointEvery: { seconds: 3600, bytes: 4 * 1024 * 1024 },
        onCheckpoint: (cp) => void cps.push(cp),
      }),
      (err: Error) =>
        err instanceof DriveFullError &&
        err.message.includes(`${tmp.path}/tape`) &&
        /all 2 volumes/.test(err.message) &&
        /no snapshot was written/.test(err.message) &&
        /resume from the last checkpoint on another drive/.test(err.message),
    );
    assert.equal((await listSnapshots(tape)).length, 0, 'nothing committed on the full tape');
    assert.equal(readdirSync(`${tmp.path}/tape/locks`).length, 0, 'lock released');
    assert.ok(cps.length > 0);
    const b = await createDrive(`${tmp.path}/b`);
    const r = await backup({
      drive: b,
      resumeFrom: cps[cps.length - 1],
      sources: [],
      cachePath: null,
      otherDrives: [tape],
    });
    await restore({ drive: b, otherDrives: [tape], snapshotId: r.snapshotId, target: `${tmp.path}/out` });
    assert.deepEqual(compareTrees(`${tmp.path}/src`, `${tmp.path}/out`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('ENOSPC on a directory drive fails cleanly with no snapshot and no temp files', async (t) => {
  const tmp = tempDir();
  const mnt = `${tmp.path}/mnt`;
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    tmp.cleanup();
    t.skip('needs root to mount a small tmpfs');
    return;
  }
  try {
    randomTree(`${tmp.path}/src`, 5, 5 * 1024 * 1024);
    const drive = await createDrive(`${mnt}/drive`);
    await assert.rejects(
      backup({ drive, sources: `${tmp.path}/src`, cachePath: null }),
      (err: Error) => err instanceof DriveFullError && err.message.includes(`${mnt}/drive is full`),
    );
    assert.equal((await listSnapshots(drive)).length, 0);
    const leftovers = execFileSync('find', [mnt, '-name', '*.tmp-*']).toString().trim();
    assert.equal(leftovers, '');
  } finally {
    execFileSync('umount', [mnt]);
    tmp.cleanup();
  }
});

void test('cancellation via AbortSignal stops the backup within a second, with no snapshot', async () => {
  const tmp = tempDir();
  try {
    randomTree(`${tmp.path}/src`, 8, 6 * 1024 * 1024);
    const drive = await createDrive(`${tmp.path}/d`);
    const ac = new AbortController();
    let abortedAt = 0;
    await assert.rejects(
      backup({
        drive,
        sources: `${tmp.path}/src`,
        cachePath: null,
        signal: ac.signal,
        segmentSize: 1024 * 1024,
        checkpointEvery: { seconds: 3600, bytes: 1 },
        onCheckpoint: () => {
          if (!abortedAt) {
            abortedAt = Date.now();
            ac.abort();
          }
        },
      }),
      AbortedError,
    );
    assert.ok(Date.now() - abortedAt < 1000, `took ${Date.now() - abortedAt} ms`);
    assert.equal((await listSnapshots(drive)).length, 0);
    assert.equal(readdirSync(`${tmp.path}/d/locks`).length, 0);
  } finally {
    tmp.cleanup();
  }
});

void test('a throwing fencing hook (beforeWrite) aborts with no snapshot', async () => {
  const tmp = tempDir();
  try {
    randomTree(`${tmp.path}/src`, 3, 3 * 1024 * 1024);
    const drive = await createDrive(`${tmp.path}/d`, { packSize: 2 * 1024 * 1024 });
    let calls = 0;
    await assert.rejects(
      backup({
        drive,
        sources: `${tmp.path}/src`,
        cachePath: null,
        beforeWrite: () => {
          if (++calls === 3) throw new Error('epoch 4 is stale: fenced off');
          return Promise.resolve();
        },
      }),
      /fenced off/,
    );
    assert.equal((await listSnapshots(drive)).length, 0);
    // with a hook that passes, the hook runs before every pack and before the commit
    calls = 0;
    const r = await backup({
      drive,
      sources: `${tmp.path}/src`,
      cachePath: null,
      beforeWrite: () => {
        calls++;
        return Promise.resolve();
      },
    });
    assert.equal(calls, r.stats.packs + 1);
  } finally {
    tmp.cleanup();
  }
});

void test('a file changing while it is read is detected and recorded; the snapshot is marked incomplete', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/growing`, prng('g', 4 * 1024 * 1024));
    writeFileSync(`${tmp.path}/src/stable`, 'x');
    const drive = await createDrive(`${tmp.path}/d`);
    let done = false;
    const r = await backup({
      drive,
      sources: `${tmp.path}/src`,
      cachePath: null,
      segmentSize: 1024 * 1024,
      checkpointEvery: { seconds: 3600, bytes: 1 },
      onCheckpoint: (cp) => {
        if (cp.partial && !done) {
          done = true;
          appendFileSync(`${tmp.path}/src/growing`, 'more');
        }
      },
    });
    assert.equal(r.incomplete, true);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0].path, /growing$/);
    assert.match(r.warnings[0].message, /changed while it was read/);
  } finally {
    tmp.cleanup();
  }
});

/** A blob as the drive's own writers seal it (version 5: bound to its type and ID; 6: its ID keyed). */
function driveBlob(drive: Drive, type: 'data' | 'tree', plain: Buffer): ReturnType<typeof encodeBlob> {
  const id = blobId(drive.ids.idKey, plain);
  return encodeBlob(drive.key, plain, id, undefined, blobAad(drive.config.version, type, id));
}

async function craftSnapshot(drive: Drive, nodes: TreeNode[]): Promise<string> {
  const index = await BlobIndex.load(drive);
  const w = new PackWriter(drive, index);
  const content = Buffer.from('payload');
  await w.add('data', driveBlob(drive, 'data', content));
  for (const n of nodes) if (n.type === 'file') n.content = [blobId(drive.ids.idKey, content)];
  const tree = encodeTree(nodes);
  await w.add('tree', driveBlob(drive, 'tree', tree));
  await w.writeIndex();
  const data = encodeJson(
    drive.key,
    {
      version: 1,
      time: new Date().toISOString(),
      hostname: 'h',
      paths: ['/x'],
      tree: blobId(drive.ids.idKey, tree),
      drives: [{ id: drive.id, path: drive.path }],
      incomplete: false,
      errors: [],
      warnings: [],
      stats: { files: 1, dirs: 0, bytes: 7, newBytes: 7, newChunks: 1, cachedFiles: 0, packs: 1 },
    },
    metadataAad(drive.config.version, 'snapshot'),
  );
  const id = contentId(data);
  await drive.writeFile('snapshots', id, data);
  return id;
}

const fileNode = (name: string): TreeNode => ({
  name,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtimeNs: '0',
  size: 7,
  content: [],
});

void test('restore refuses names escaping the target and symlinks in the way', async () => {
  const tmp = tempDir();
  try {
    const drive = await createDrive(`${tmp.path}/d`);
    for (const name of ['..', '.', 'a/../../etc', '/abs', '']) {
      const id = await craftSnapshot(drive, [fileNode(name)]);
      await assert.rejects(
        restore({ drive, snapshotId: id, target: `${tmp.path}/out`, password: PASSWORD }),
        (err: Error) => err instanceof PathEscapeError && /refusing to restore/.test(err.message),
        `name ${JSON.stringify(name)}`,
      );
    }
    // a symlink already in the target is never followed
    mkdirSync(`${tmp.path}/elsewhere`);
    mkdirSync(`${tmp.path}/out2`);
    symlinkSync(`${tmp.path}/elsewhere/victim`, `${tmp.path}/out2/f`);
    const id = await craftSnapshot(drive, [fileNode('f')]);
    await assert.rejects(restore({ drive, snapshotId: id, target: `${tmp.path}/out2` }), PathEscapeError);
    assert.deepEqual(readdirSync(`${tmp.path}/elsewhere`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('cancellation via AbortSignal stops a restore within a second', async () => {
  const tmp = tempDir();
  try {
    randomTree(`${tmp.path}/src`, 40, 2 * 1024 * 1024);
    const drive = await createDrive(`${tmp.path}/d`);
    const r = await backup({ drive, sources: `${tmp.path}/src`, cachePath: null });
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
    assert.ok(readdirSync(`${tmp.path}/out`).length < 40, 'stopped before the end');
  } finally {
    tmp.cleanup();
  }
});
