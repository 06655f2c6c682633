/**
 * Modification times come back to the nanosecond (README promises it): files written by a worker,
 * a big file written on the main thread, directories, symlinks and a fifo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** `touch -h`: sets the entry's own mtime (a symlink's too) from seconds.nanoseconds. */
function touch(path: string, stamp: string): void {
  execFileSync('touch', ['-h', '-m', '-d', `@${stamp}`, path]);
}

void test('mtimes round-trip exactly to the nanosecond on files, big files, dirs, symlinks and fifos', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/dir/deeper`, { recursive: true });
    writeFileSync(`${src}/dir/small`, 'small');
    const big = Buffer.alloc(17 * 1024 * 1024);
    big.write('start', 0);
    big.write('end', big.length - 3);
    writeFileSync(`${src}/big`, big);
    symlinkSync('dir/small', `${src}/link`);
    execFileSync('mkfifo', [`${src}/fifo`]);
    const stamps: Record<string, string> = {
      'dir/small': '1764800000.123456789',
      big: '1764800000.999999999',
      link: '1764800001.000000001',
      fifo: '1764800002.500000003',
      'dir/deeper': '1764800003.123456789',
      dir: '1764800004.987654321',
    };
    for (const [name, stamp] of Object.entries(stamps)) touch(`${src}/${name}`, stamp);

    const drive = await createDrive(`${tmp.path}/drive`);
    const r = await backup({ drive, sources: src, cachePath: null });
    assert.equal(r.incomplete, false, JSON.stringify(r.errors.concat(r.warnings)));
    const out = `${tmp.path}/out`;
    await restore({ drive, snapshotId: r.snapshotId, target: out });

    for (const [name, stamp] of Object.entries(stamps)) {
      const want = BigInt(stamp.replace('.', ''));
      assert.equal(lstatSync(`${src}/${name}`, { bigint: true }).mtimeNs, want, `source ${name}`);
      assert.equal(lstatSync(`${out}/${name}`, { bigint: true }).mtimeNs, want, name);
    }
    assert.ok(lstatSync(`${out}/link`).isSymbolicLink());
    assert.ok(readFileSync(`${out}/big`).equals(big));
  } finally {
    tmp.cleanup();
  }
});
