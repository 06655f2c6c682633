import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreCommand, snapshotPaths } from '../../../src/cli/restore-commands';

void test('--path values become clean snapshot paths, repeats dropped; one naming the root means all', () => {
  const cases: { name: string; given: string[]; want: string[] }[] = [
    { name: 'none', given: [], want: [] },
    { name: 'a file and a directory', given: ['README.txt', '/table-02/'], want: ['README.txt', 'table-02'] },
    { name: 'dots and repeats', given: ['a/./b', 'a/b', 'a//b/'], want: ['a/b'] },
    { name: 'the root among others', given: ['a', '/'], want: [] },
  ];
  for (const c of cases) assert.deepEqual(snapshotPaths(c.given), c.want, c.name);
});

void test('a --path leaving the snapshot is refused in one line naming it', () => {
  assert.throws(
    () => snapshotPaths(['ok', 'a/../../etc']),
    /^UserError: --path a\/\.\.\/\.\.\/etc leaves the snapshot; name a directory inside it/,
  );
});

void test('--path may be given several times', () => {
  const cmd = restoreCommand().exitOverride();
  cmd.action(() => undefined);
  cmd.parse(['app', '--target', '/t', '--path', 'a', '--path', 'b/c'], { from: 'user' });
  assert.deepEqual(cmd.opts<{ path: string[] }>().path, ['a', 'b/c']);
});

void test('--no-devices and --no-setuid are off unless given', () => {
  const parse = (args: string[]) => {
    const cmd = restoreCommand().exitOverride();
    cmd.action(() => undefined);
    cmd.parse(['app', '--target', '/t', ...args], { from: 'user' });
    return cmd.opts<{ devices: boolean; setuid: boolean }>();
  };
  const none = parse([]);
  assert.equal(none.devices, true);
  assert.equal(none.setuid, true);
  const both = parse(['--no-devices', '--no-setuid']);
  assert.equal(both.devices, false);
  assert.equal(both.setuid, false);
});
