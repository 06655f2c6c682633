/** Paths inside a snapshot from code: cleaned, repeats dropped, and one leaving the snapshot refused under its label. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotPathOf, snapshotPaths } from '../../../src/client/snapshot-paths';

test('paths are cleaned and deduplicated; the root means the whole snapshot', () => {
  assert.deepEqual(snapshotPaths(['/a/b/', 'a//b', 'c/./d']), ['a/b', 'c/d']);
  assert.deepEqual(snapshotPaths(['a', '.']), []);
  assert.equal(snapshotPathOf('/'), null);
});

test('a path leaving the snapshot is refused, named with its label', () => {
  assert.throws(
    () => snapshotPaths(['../etc']),
    /^UserError: path \.\.\/etc leaves the snapshot; name a directory inside it/,
  );
  assert.throws(() => snapshotPathOf('a/../../x', '--path'), /^UserError: --path a\/\.\.\/\.\.\/x leaves the snapshot/);
});
