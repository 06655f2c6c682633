import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, lstatSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileTimeOf, futimens, lutimens } from '../../../src/engine/file-times';
import { tempDir } from '../../helpers/temp';

void test('fileTimeOf splits nanoseconds into seconds and 0..999999999 nanoseconds, before 1970 too', () => {
  assert.deepEqual(fileTimeOf('1764800000123456789'), { sec: 1764800000, nsec: 123456789 });
  assert.deepEqual(fileTimeOf('0'), { sec: 0, nsec: 0 });
  assert.deepEqual(fileTimeOf('999999999'), { sec: 0, nsec: 999999999 });
  assert.deepEqual(fileTimeOf('-1'), { sec: -1, nsec: 999999999 });
  assert.deepEqual(fileTimeOf('-1000000000'), { sec: -1, nsec: 0 });
  assert.deepEqual(fileTimeOf('4102444800000000001'), { sec: 4102444800, nsec: 1 });
});

void test('futimens and lutimens set times to the nanosecond; a symlink keeps its target untouched', () => {
  const tmp = tempDir();
  try {
    const f = `${tmp.path}/f`;
    writeFileSync(f, 'x');
    symlinkSync('f', `${tmp.path}/l`);
    const before = lstatSync(f, { bigint: true }).mtimeNs;
    lutimens(Buffer.from(`${tmp.path}/l`), { sec: 1764800000, nsec: 123456789 });
    assert.equal(lstatSync(`${tmp.path}/l`, { bigint: true }).mtimeNs, 1764800000123456789n);
    assert.equal(lstatSync(f, { bigint: true }).mtimeNs, before, 'the target was not touched');
    const fd = openSync(f, 'r');
    try {
      futimens(fd, { sec: 1764800000, nsec: 999999999 });
    } finally {
      closeSync(fd);
    }
    const st = lstatSync(f, { bigint: true });
    assert.equal(st.mtimeNs, 1764800000999999999n);
    assert.equal(st.atimeNs, 1764800000999999999n);
  } finally {
    tmp.cleanup();
  }
});

void test('bad arguments are a TypeError naming the call; a missing path is ENOENT', () => {
  const usage = /futimens\(fd: int >= 0, sec: integer, nsec: integer 0\.\.999999999\)/;
  assert.throws(() => futimens(-1, { sec: 1, nsec: 0 }), usage);
  assert.throws(() => futimens(0, { sec: 1.5, nsec: 0 }), usage);
  assert.throws(() => futimens(0, { sec: 1, nsec: 1_000_000_000 }), usage);
  assert.throws(() => futimens(0, { sec: 1, nsec: -1 }), usage);
  assert.throws(() => futimens(0, { sec: 1, nsec: 0.5 }), usage);
  assert.throws(() => lutimens(Buffer.from('a\0b'), { sec: 1, nsec: 0 }), /lutimens\(path: Buffer without NUL/);
  assert.throws(() => lutimens(Buffer.alloc(0), { sec: 1, nsec: 0 }), /lutimens\(path/);
  assert.throws(
    () => lutimens(Buffer.from('/nonexistent-baton-path/x'), { sec: 1, nsec: 0 }),
    (err: Error & { code?: string }) => err.code === 'ENOENT' && /utimensat failed/.test(err.message),
  );
});
