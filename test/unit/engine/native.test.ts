import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadNative, nativeFile } from '../../../src/engine/native';

void test('a native module that was not built is refused by name, with the command that builds it', () => {
  assert.throws(
    () => loadNative('no_such_module', 'test'),
    (err: Error) =>
      err.message.includes("Baton's test module is not built") &&
      err.message.includes(nativeFile('no_such_module')) &&
      err.message.includes('node scripts/build-native.mjs'),
  );
});

void test('every module the build makes is where nativeFile says, and loads', () => {
  for (const name of ['aes_gcm', 'copy_bytes', 'file_times', 'scrypt_romix', 'stat_batch']) {
    assert.ok(existsSync(nativeFile(name)), nativeFile(name));
    assert.equal(typeof loadNative<object>(name, name), 'object');
  }
});
