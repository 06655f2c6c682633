/**
 * statBatch (src/engine/entry-stats.ts, native/aes-gcm/stat_batch.c) against Node's own
 * `lstatSync(path, { bigint: true })`: every field the engine reads, and the type tests, for each
 * kind of entry; an entry with extended attributes is told apart from one without; a failed lstat
 * gives its errno, so the walk can ask Node for the same error it gave before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { setAttribute } from '@napi-rs/xattr';
import { statBatch, writeKeyFields, type EntryStats } from '../../../src/engine/entry-stats';
import { tempDir } from '../../helpers/temp';

const FIELDS = [
  'dev',
  'ino',
  'mode',
  'nlink',
  'uid',
  'gid',
  'rdev',
  'size',
  'blocks',
  'blksize',
  'atimeNs',
  'mtimeNs',
  'ctimeNs',
] as const;
const TYPES = [
  'isFile',
  'isDirectory',
  'isSymbolicLink',
  'isFIFO',
  'isCharacterDevice',
  'isBlockDevice',
  'isSocket',
] as const;

function assertSame(path: string, st: EntryStats): void {
  const node = lstatSync(path, { bigint: true });
  for (const f of FIELDS) assert.equal(st[f], node[f], `${path}: ${f}`);
  for (const t of TYPES) assert.equal(st[t](), node[t](), `${path}: ${t}()`);
  // the file cache's key fields: copied from the row, the bytes Node's BigInts give
  const fromRow = Buffer.alloc(40);
  const fromNode = Buffer.alloc(40);
  writeKeyFields(st, fromRow, 3);
  writeKeyFields(node, fromNode, 3);
  assert.ok(fromRow.equals(fromNode), `${path}: key fields ${fromRow.toString('hex')}`);
}

test('every field and type test is what Node lstat gives, for each kind of entry', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const d = tmp.path;
  writeFileSync(join(d, 'file'), 'some bytes');
  writeFileSync(join(d, 'empty'), '');
  linkSync(join(d, 'file'), join(d, 'link')); // nlink 2
  mkdirSync(join(d, 'dir'));
  symlinkSync('nowhere', join(d, 'dangling'));
  symlinkSync(join(d, 'file'), join(d, 'symlink'));
  assert.equal(spawnSync('mkfifo', [join(d, 'fifo')]).status, 0);
  const server = createServer();
  await new Promise<void>((r) => server.listen(join(d, 'socket'), r));
  t.after(() => server.close());
  const paths = ['file', 'empty', 'link', 'dir', 'dangling', 'symlink', 'fifo', 'socket'].map((n) => join(d, n));
  paths.push('/dev/null', '/'); // a character device; a directory of another file system
  const found = statBatch(paths.map((p) => Buffer.from(p)));
  assert.equal(found.length, paths.length);
  paths.forEach((p, i) => {
    const f = found[i];
    assert.ok('st' in f, `${p}: errno ${'errno' in f ? f.errno : 0}`);
    assertSame(p, f.st);
  });
  // nanoseconds as they are on disk, not rounded through a double
  const file = found[0];
  assert.ok('st' in file);
  assert.equal(file.st.mtimeNs % 1000n, lstatSync(paths[0], { bigint: true }).mtimeNs % 1000n);
});

test('the entries with extended attributes are the ones marked so', async (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  const plain = join(tmp.path, 'plain');
  const tagged = join(tmp.path, 'tagged');
  writeFileSync(plain, 'a');
  writeFileSync(tagged, 'b');
  try {
    await setAttribute(tagged, 'user.probe', 'x');
  } catch {
    return t.skip('the file system under the temp dir takes no user xattrs');
  }
  const [a, b] = statBatch([Buffer.from(plain), Buffer.from(tagged)]);
  assert.ok('st' in a && 'st' in b);
  assert.equal(a.xattrs, 'none');
  assert.equal(b.xattrs, 'some');
});

test('a failed lstat is its errno: missing, not a directory, a NUL in the path, a path too long', (t) => {
  const tmp = tempDir();
  t.after(() => tmp.cleanup());
  writeFileSync(join(tmp.path, 'file'), 'x');
  const found = statBatch([
    Buffer.from(join(tmp.path, 'missing')),
    Buffer.from(join(tmp.path, 'file', 'below')),
    Buffer.from(`${tmp.path}/a\0b`),
    Buffer.alloc(5000, 'a'),
  ]);
  assert.deepEqual(found, [
    { errno: constants.errno.ENOENT },
    { errno: constants.errno.ENOTDIR },
    { errno: constants.errno.EINVAL },
    { errno: constants.errno.ENAMETOOLONG },
  ]);
});

test('arguments that are not a list of Buffers and a BigInt64Array are refused before any call', () => {
  assert.deepEqual(statBatch([]), []);
  // statBatch itself always passes the right ones; the module checks its own arguments
  assert.throws(() => statBatch(['not a buffer' as unknown as Buffer]), TypeError);
});
