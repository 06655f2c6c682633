/**
 * What is already in a restore's target is never written through: a hard link planted to a file
 * outside the target is unlinked and the name created afresh (small files written by a worker and
 * big ones written on the main thread), a symlink where a directory goes is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
