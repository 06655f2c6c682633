import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadNative, napiPackage, nativeFile } from '../../../src/engine/native';

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

void test('a napi-rs package loads as its own loader loads it, without making a process report', () => {
  const report = process.report as { getReport: () => object };
  const original = report.getReport;
  let reports = 0;
  report.getReport = () => {
    reports++;
    return original.call(report);
  };
  try {
    const direct = napiPackage<{ Blake3Hasher: unknown }>('@napi-rs/blake-hash');
    // the same class as the package's own loader gives (one native module, loaded once)
    const viaLoader = createRequire(__filename)('@napi-rs/blake-hash') as { Blake3Hasher: unknown };
    assert.equal(direct.Blake3Hasher, viaLoader.Blake3Hasher);
    // the package's loader ran above (required here first, or by the engine's own modules before);
    // napiPackage asked for no report of its own
    const before = reports;
    napiPackage('@napi-rs/xattr');
    assert.equal(reports, before);
  } finally {
    report.getReport = original;
  }
});

void test('a package with no glibc build of its own is loaded by its name', () => {
  assert.equal(napiPackage<typeof import('node:path')>('node:path').sep, '/');
});
