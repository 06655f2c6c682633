import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DirNames, checkName } from '../../../src/engine/restore-entry';
import type { TreeNode } from '../../../src/engine/tree';

const node = (name: string, extra: Partial<TreeNode> = {}): TreeNode => ({
  name,
  type: 'file',
  mode: 0o644,
  mtimeNs: '0',
  uid: 0,
  gid: 0,
  ...extra,
});
const raw = (bytes: number[]): TreeNode => node('x', { rawName: Buffer.from(bytes).toString('base64') });

void test('a name that would leave its directory is refused with the path it has in the snapshot', () => {
  for (const [n, why] of [
    [node(''), /empty file name/],
    [node('.'), /"\." or "\.\."/],
    [node('..'), /"\." or "\.\."/],
    [node('a/b'), /contains "\/"/],
    [node('a\0b'), /NUL byte/],
    [raw([0x61, 0x2f, 0x62]), /contains "\/"/],
    [raw([0x2e, 0x2e]), /"\." or "\.\."/],
  ] as const) {
    assert.throws(
      () => checkName(n, '/etc/app'),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'PATH_ESCAPE');
        assert.match(err.message, why);
        assert.ok(err.message.startsWith(`refusing to restore ${JSON.stringify(`/etc/app/${n.name}`)}: `), err.message);
        return true;
      },
    );
  }
});

void test('a good name comes back as its bytes, the raw name when there is one', () => {
  assert.deepEqual(checkName(node('ünï.txt'), ''), Buffer.from('ünï.txt'));
  assert.deepEqual(checkName(node('...'), ''), Buffer.from('...'));
  assert.deepEqual(checkName(raw([0x6c, 0xff, 0xfe]), ''), Buffer.from([0x6c, 0xff, 0xfe]));
});

void test('one directory may not hold a name twice, byte for byte; another directory may', () => {
  const names = new DirNames('/d');
  names.take(node('a'));
  names.take(node('A'));
  assert.throws(() => names.take(node('a')), /refusing to restore "\/d\/a": the name appears twice in one directory/);
  // the same bytes spelled as a raw name are the same name
  assert.throws(() => names.take(raw([0x41])), /appears twice/);
  assert.deepEqual(new DirNames('/e').take(node('a')), Buffer.from('a'));
});
