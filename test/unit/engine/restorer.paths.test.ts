import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/** Every path under dir, relative, sorted (directories too). */
function listing(dir: string, rel = ''): string[] {
  return readdirSync(`${dir}${rel}`, { withFileTypes: true })
    .flatMap((e) => {
      const p = `${rel}/${e.name}`;
      return e.isDirectory() ? [p, ...listing(dir, p)] : [p];
    })
    .sort();
}

void test('several paths restore exactly those, each at its place under the target, byte for byte', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/data/tables/t1`, { recursive: true });
    mkdirSync(`${src}/etc`, { recursive: true });
    writeFileSync(`${src}/data/tables/t1/rows`, prng('rows', 200_000));
    writeFileSync(`${src}/data/tables/index`, prng('index', 3000));
    writeFileSync(`${src}/data/other`, 'not asked for');
    writeFileSync(`${src}/etc/app.conf`, 'port = 5432\n');
    writeFileSync(`${src}/etc/unrelated`, 'no');
    writeFileSync(`${src}/top`, 'no');
    const drive = await createDrive(`${tmp.path}/d`);
    const { snapshotId } = await backup({ drive, sources: src, cachePath: null });

    const out = `${tmp.path}/out`;
    const r = await restore({ drive, snapshotId, target: out, paths: ['etc/app.conf', 'data/tables'] });
    assert.deepEqual(listing(out), [
      '/data',
      '/data/tables',
      '/data/tables/index',
      '/data/tables/t1',
      '/data/tables/t1/rows',
      '/etc',
      '/etc/app.conf',
    ]);
    assert.equal(r.files, 3);
    assert.deepEqual(compareTrees(`${src}/data/tables`, `${out}/data/tables`), []);
    assert.deepEqual(
      compareTrees(`${src}/etc`, `${out}/etc`).filter(
        (d) => d !== `missing /${Buffer.from('unrelated').toString('hex')}`,
      ),
      [],
    );

    // one directory alone: its contents go into the target, as --path always did
    const one = `${tmp.path}/one`;
    await restore({ drive, snapshotId, target: one, paths: ['data/tables'] });
    assert.deepEqual(compareTrees(`${src}/data/tables`, one), []);

    // a missing path is refused before the target is even made
    const none = `${tmp.path}/none`;
    await assert.rejects(
      restore({ drive, snapshotId, target: none, paths: ['etc/app.conf', 'etc/missing'] }),
      /: no file or directory etc\/missing in snapshot [0-9a-f]{12}; check the path/,
    );
    assert.equal(existsSync(none), false);
  } finally {
    tmp.cleanup();
  }
});
