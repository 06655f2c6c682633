import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deriveKek, newKdfParams, type KdfParams } from '../../../src/engine/kdf';
import { Drive } from '../../../src/engine/drive';
import { WrongPasswordError } from '../../../src/engine/errors';
import { KekCache, kekCache } from '../../../src/engine/key-cache';
import { changePassword } from '../../../src/engine/keys';
import { PASSWORD, createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** The real scrypt, counted. */
function counted(): { derive: (p: string, k: KdfParams) => Promise<Buffer>; runs: () => number } {
  let runs = 0;
  return {
    derive: (p, k) => {
      runs++;
      return deriveKek(p, k);
    },
    runs: () => runs,
  };
}

void test('the same passphrase and KDF parameters derive once and give what scrypt gives', async () => {
  const c = counted();
  const cache = new KekCache(c.derive);
  const kdf = newKdfParams(1024);
  const [a, b] = await Promise.all([cache.kek('pass', kdf), cache.kek('pass', kdf)]);
  const again = await cache.kek('pass', { ...kdf });
  assert.equal(c.runs(), 1, 'concurrent and later calls share one derivation');
  assert.ok(a.equals(await deriveKek('pass', kdf)));
  assert.ok(b.equals(a) && again.equals(a));
  a.fill(0);
  assert.ok((await cache.kek('pass', kdf)).equals(b), 'a caller wiping its copy leaves the cached key whole');
});

void test('another passphrase, salt or cost is derived afresh, never served from the cache', async () => {
  const c = counted();
  const cache = new KekCache(c.derive);
  const kdf = newKdfParams(1024);
  const right = await cache.kek('pass', kdf);
  const wrong = await cache.kek('pass ', kdf);
  const salted = await cache.kek('pass', { ...kdf, salt: newKdfParams(1024).salt });
  const costlier = await cache.kek('pass', { ...kdf, N: 2048 });
  assert.equal(c.runs(), 4);
  for (const other of [wrong, salted, costlier]) assert.ok(!other.equals(right));
  assert.ok(wrong.equals(await deriveKek('pass ', kdf)));
});

void test('a failed derivation is not kept, and the oldest entry goes past the bound', async () => {
  const c = counted();
  const cache = new KekCache(c.derive, 2);
  const bad = { ...newKdfParams(1024), N: 1000 }; // not a power of two: refused
  await assert.rejects(cache.kek('pass', bad), /refusing to derive a key/);
  await assert.rejects(cache.kek('pass', bad), /refusing to derive a key/);
  assert.equal(c.runs(), 2);
  assert.equal(cache.size, 0);
  const [k1, k2, k3] = [newKdfParams(1024), newKdfParams(1024), newKdfParams(1024)];
  for (const k of [k1, k2, k3]) await cache.kek('pass', k);
  assert.equal(cache.size, 2);
  await cache.kek('pass', k3);
  assert.equal(c.runs(), 5, 'the newest is still held');
  await cache.kek('pass', k1);
  assert.equal(c.runs(), 6, 'the oldest was dropped');
});

void test('a drive opened again is opened from the cache; a wrong or replaced passphrase is still refused', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const first = await createDrive(path);
    const held = kekCache.size;
    const again = await Drive.open(path, { password: PASSWORD });
    assert.ok(again.key?.equals(first.key as Buffer));
    const size = kekCache.size;
    assert.equal(size, held + 1, 'the first open derived its key');
    await Drive.open(path, { password: PASSWORD });
    assert.equal(kekCache.size, size, 'the second open derived nothing new');
    await assert.rejects(Drive.open(path, { password: 'not it' }), WrongPasswordError);

    await changePassword(again, 'the new one', 1024);
    await assert.rejects(
      Drive.open(path, { password: PASSWORD }),
      WrongPasswordError,
      'the old passphrase no longer opens it, cached or not',
    );
    const renewed = await Drive.open(path, { password: 'the new one' });
    assert.ok(renewed.key?.equals(first.key as Buffer));
  } finally {
    tmp.cleanup();
  }
});
