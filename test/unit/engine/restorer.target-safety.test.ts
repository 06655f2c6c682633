/**
 * What is already in a restore's target is never written through: a hard link planted to a file
 * outside the target is unlinked and the name created afresh (small files written by a worker and
 * big ones written on the main thread), a symlink where a directory goes is refused, and a
 * directory swapped for a symlink while the restore runs redirects nothing (restore-dirs.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { PathEscapeError } from '../../../src/engine/errors';
import { restore } from '../../../src/engine/restorer';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

void test('restore over planted hard links leaves the files outside the target as they were', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/d`, { recursive: true });
    writeFileSync(`${src}/small`, 'snapshot content');
    const big = Buffer.alloc(17 * 1024 * 1024, 7);
    writeFileSync(`${src}/big`, big);
    writeFileSync(`${src}/d/inner`, 'inner');
    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.equal(r.incomplete, false);

    const outside = `${tmp.path}/outside`;
    mkdirSync(outside);
    writeFileSync(`${outside}/passwd`, 'root:x:0:0');
    writeFileSync(`${outside}/shadow`, 'secret');
    const out = `${tmp.path}/out`;
    mkdirSync(`${out}/d`, { recursive: true });
    linkSync(`${outside}/passwd`, `${out}/small`);
    linkSync(`${outside}/shadow`, `${out}/big`);
    linkSync(`${outside}/passwd`, `${out}/d/inner`);

    await restore({ drive, snapshotId: r.snapshotId, target: out });
    assert.equal(readFileSync(`${outside}/passwd`, 'utf8'), 'root:x:0:0');
    assert.equal(readFileSync(`${outside}/shadow`, 'utf8'), 'secret');
    assert.equal(lstatSync(`${outside}/passwd`).nlink, 1, 'the planted links were unlinked, not written to');
    assert.equal(lstatSync(`${outside}/shadow`).nlink, 1);
    assert.equal(readFileSync(`${out}/small`, 'utf8'), 'snapshot content');
    assert.equal(readFileSync(`${out}/d/inner`, 'utf8'), 'inner');
    assert.ok(readFileSync(`${out}/big`).equals(big));

    // a symlink where a directory goes is refused, and nothing is written through it
    const out2 = `${tmp.path}/out2`;
    mkdirSync(out2);
    mkdirSync(`${outside}/dir`);
    symlinkSync(`${outside}/dir`, `${out2}/d`);
    await assert.rejects(
      restore({ drive, snapshotId: r.snapshotId, target: out2 }),
      (err: Error) => err instanceof PathEscapeError && /something that is not a directory/.test(err.message),
    );
    assert.deepEqual(readdirSync(`${outside}/dir`), []);
  } finally {
    tmp.cleanup();
  }
});

void test('a directory of the target swapped for a symlink mid-restore: nothing is written outside, the restore fails naming it', async () => {
  const tmp = tempDir();
  try {
    // 32 files of 1 MiB in one directory: the pool writes them 4 to a message, so most are opened
    // after the swap, which the first file's progress report makes
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/d`, { recursive: true });
    const content = (i: number): Buffer => Buffer.alloc(1024 * 1024, (i % 250) + 1);
    for (let i = 0; i < 32; i++) writeFileSync(`${src}/d/f${String(i).padStart(2, '0')}`, content(i));
    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });

    const outside = `${tmp.path}/outside`;
    mkdirSync(outside);
    const out = `${tmp.path}/out`;
    let swapped = false;
    const progress = {
      update: (c: { currentPath?: string }) => {
        if (swapped || !c.currentPath?.startsWith(`${out}/d/`)) return;
        swapped = true; // an attacker renames the directory away and puts a symlink in its place
        renameSync(`${out}/d`, `${out}/d-moved`);
        symlinkSync(outside, `${out}/d`);
      },
    };
    await assert.rejects(
      restore({ drive, snapshotId: r.snapshotId, target: out, progress }),
      (err: Error) =>
        err instanceof PathEscapeError && err.message.includes(`${out}/d`) && /replaced/.test(err.message),
    );
    assert.equal(swapped, true);
    assert.deepEqual(readdirSync(outside), [], 'nothing was written through the symlink');
    // every file went into the directory the restore made, wherever it was moved
    const moved = readdirSync(`${out}/d-moved`).sort();
    assert.equal(moved.length, 32);
    for (const [i, name] of moved.entries()) assert.ok(readFileSync(`${out}/d-moved/${name}`).equals(content(i)));
  } finally {
    tmp.cleanup();
  }
});
