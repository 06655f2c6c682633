import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareTrees } from '../../../src/drill/compare-trees';
import { tempDir } from '../../helpers/temp';

function tree(files: Record<string, string>, links: Record<string, string> = {}): string {
  const root = tempDir('baton-cmp-').path;
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const [path, to] of Object.entries(links)) symlinkSync(to, join(root, path));
  return root;
}

test('identical trees compare equal and count files and bytes', async () => {
  const files = { 'a.txt': 'hello', 'sub/b.bin': 'world!' };
  const r = await compareTrees(tree(files, { l: 'a.txt' }), tree(files, { l: 'a.txt' }));
  assert.deepEqual(r, { difference: null, files: 2, bytes: 11 });
});

test('a changed byte, a missing file, an extra file and a different link target are each found', async () => {
  const base = { 'a.txt': 'hello', 'sub/b.bin': 'world!' };
  assert.match(
    (await compareTrees(tree(base), tree({ ...base, 'sub/b.bin': 'world?' }))).difference ?? '',
    /sub\/b\.bin differs in content/,
  );
  assert.match(
    (await compareTrees(tree(base), tree({ 'a.txt': 'hello' }))).difference ?? '',
    /sub is dir in .* but missing/,
  );
  assert.match(
    (await compareTrees(tree(base), tree({ ...base, 'c.txt': 'x' }))).difference ?? '',
    /c\.txt is in .* but not in/,
  );
  assert.match(
    (await compareTrees(tree(base), tree({ ...base, 'a.txt': 'hell' }))).difference ?? '',
    /a\.txt has 5 bytes/,
  );
  assert.match(
    (await compareTrees(tree(base, { l: 'a.txt' }), tree(base, { l: 'sub' }))).difference ?? '',
    /symlink l points to a\.txt/,
  );
});
