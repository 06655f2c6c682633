/**
 * The AES-256-GCM of native/aes-gcm against Node's own: the same bytes both ways (so drives written
 * before it stay readable, and a drive it writes reads with any GCM), damage and a wrong key
 * refused, bad arguments refused before anything is written; with associated data, the same bytes
 * as Node's GCM with that AAD, and no other associated data opens them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { NONCE, OVERHEAD, TAG, open, openInto, seal, sealInto } from '../../../src/engine/crypto';
import { CALIBRATED_N, KDF_LIMITS, calibrateKdf, kdfProblem, newKdfParams } from '../../../src/engine/kdf';

const key = randomBytes(32);

function nodeSeal(plain: Buffer, nonce: Buffer, aad?: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce);
  if (aad) c.setAAD(aad);
  return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
}

function nodeOpen(sealed: Buffer, aad?: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
  if (aad) d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([d.update(sealed.subarray(NONCE, sealed.length - TAG)), d.final()]);
}

void test('seal and open agree with Node’s AES-256-GCM both ways, for every size from empty to 1 MiB', () => {
  for (const n of [0, 1, 15, 16, 17, 1000, 65536, 1024 * 1024 + 3]) {
    const plain = randomBytes(n);
    const sealed = seal(key, plain);
    assert.equal(sealed.length, n + OVERHEAD);
    assert.deepEqual(nodeOpen(sealed), plain, `${n} bytes sealed here, opened by Node`);
    assert.deepEqual(sealed, nodeSeal(plain, sealed.subarray(0, NONCE)), `${n} bytes: the same bytes as Node's`);
    const fromNode = nodeSeal(plain, randomBytes(NONCE));
    assert.deepEqual(open(key, fromNode), plain, `${n} bytes sealed by Node, opened here`);
    const dst = Buffer.alloc(n + 5);
    assert.deepEqual(openInto(key, fromNode, dst), plain);
  }
});

void test('sealInto writes into the caller’s buffer, a fresh nonce each time; openInto may decrypt in place', () => {
  const plain = randomBytes(5000);
  const dst = Buffer.alloc(plain.length + OVERHEAD + 10, 0xee);
  sealInto(key, plain, dst.subarray(3, 3 + plain.length + OVERHEAD));
  assert.equal(dst[2], 0xee);
  assert.equal(dst[3 + plain.length + OVERHEAD], 0xee, 'nothing written past the blob');
  const sealed = dst.subarray(3, 3 + plain.length + OVERHEAD);
  assert.deepEqual(nodeOpen(Buffer.from(sealed)), plain);
  assert.notDeepEqual(seal(key, plain).subarray(0, NONCE), seal(key, plain).subarray(0, NONCE));

  const copy = Buffer.from(sealed);
  const inPlace = openInto(key, copy, copy.subarray(NONCE));
  assert.deepEqual(inPlace, plain);

  const unencrypted = Buffer.alloc(plain.length);
  sealInto(null, plain, unencrypted);
  assert.deepEqual(unencrypted, plain);
});

void test('a flipped bit anywhere, a cut blob or a wrong key is refused', () => {
  const plain = randomBytes(3000);
  const sealed = seal(key, plain);
  for (const at of [0, NONCE - 1, NONCE, 1500, sealed.length - TAG, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[at] ^= 0x01;
    assert.equal(open(key, bad), null, `bit flipped at ${at}`);
    assert.equal(openInto(key, bad, Buffer.alloc(bad.length)), null, `bit flipped at ${at}, into`);
  }
  assert.equal(open(key, sealed.subarray(0, sealed.length - 1)), null);
  assert.equal(open(key, sealed.subarray(0, OVERHEAD - 1)), null);
  assert.equal(open(randomBytes(32), sealed), null);
});

void test('wrong sizes are refused with the expected shapes, before anything is written', () => {
  const plain = randomBytes(100);
  const short = Buffer.alloc(plain.length + OVERHEAD - 1, 0xaa);
  assert.throws(
    () => sealInto(key, plain, short),
    /seal\(key: 32 bytes, nonce: 12 bytes, src, dst: src.length \+ 28 bytes\[, aad\]\)/,
  );
  assert.ok(short.every((b) => b === 0xaa));
  assert.throws(() => seal(randomBytes(16), plain), /key: 32 bytes/);
  const sealed = seal(key, plain);
  assert.throws(() => openInto(key, sealed, Buffer.alloc(10)), /open\(key: 32 bytes/);
});

void test('with associated data: the same bytes as Node’s GCM with that AAD, both ways, for sizes up to 1 MiB', () => {
  for (const [n, a] of [
    [0, 1],
    [1, 13],
    [17, 16],
    [1000, 80],
    [1024 * 1024 + 3, 300],
  ]) {
    const plain = randomBytes(n);
    const aad = randomBytes(a);
    const sealed = Buffer.alloc(n + OVERHEAD);
    sealInto(key, plain, sealed, aad);
    assert.deepEqual(nodeOpen(sealed, aad), plain, `${n} bytes, ${a} of AAD, opened by Node`);
    assert.deepEqual(sealed, nodeSeal(plain, sealed.subarray(0, NONCE), aad), `${n} bytes: Node's bytes`);
    const fromNode = nodeSeal(plain, randomBytes(NONCE), aad);
    assert.deepEqual(open(key, fromNode, aad), plain, `${n} bytes sealed by Node with AAD, opened here`);
    assert.deepEqual(openInto(key, fromNode, Buffer.alloc(n + 1), aad), plain);
  }
});

void test('associated data must match: other AAD, none, or a flipped AAD bit is refused; empty AAD is none', () => {
  const plain = randomBytes(2000);
  const aad = Buffer.from(`baton data v5\0${'ab'.repeat(32)}`);
  const sealed = Buffer.alloc(plain.length + OVERHEAD);
  sealInto(key, plain, sealed, aad);
  assert.deepEqual(open(key, sealed, aad), plain);
  assert.equal(open(key, sealed), null, 'opened without its associated data');
  assert.equal(open(key, sealed, Buffer.from(`baton tree v5\0${'ab'.repeat(32)}`)), null, 'data read as a tree');
  assert.equal(open(key, sealed, Buffer.from(`baton data v5\0${'cd'.repeat(32)}`)), null, 'under another ID');
  const flipped = Buffer.from(aad);
  flipped[aad.length - 1] ^= 1;
  assert.equal(openInto(key, sealed, Buffer.alloc(plain.length), flipped), null, 'one AAD bit flipped');
  assert.equal(open(key, seal(key, plain), aad), null, 'sealed without AAD, opened with it');
  const empty = Buffer.alloc(plain.length + OVERHEAD);
  sealInto(key, plain, empty, Buffer.alloc(0));
  assert.deepEqual(open(key, empty), plain, 'empty associated data is the no-AAD format');
  assert.deepEqual(nodeOpen(empty), plain);
});

void test('associated data that is not bytes is refused before anything is written', () => {
  const plain = randomBytes(100);
  const dst = Buffer.alloc(plain.length + OVERHEAD, 0xaa);
  assert.throws(() => sealInto(key, plain, dst, 'baton' as unknown as Uint8Array), /seal: aad must be a Uint8Array/);
  assert.ok(dst.every((b) => b === 0xaa));
  assert.throws(() => open(key, seal(key, plain), 'x' as unknown as Uint8Array), /open: aad must be a Uint8Array/);
});

void test('scrypt calibration keeps 32 MiB a lane and fills the target work with p, a multiple of the lanes at once', async () => {
  const timed: number[] = [];
  const time = (ms: number) => (N: number) => (timed.push(N), Promise.resolve(ms));
  // restic's choice on this machine: N = 2^15, r = 8, p = 5 for 0.5 s (one lane at a time)
  assert.deepEqual(await calibrateKdf(500, time(100), 1), { N: CALIBRATED_N, p: 5 });
  assert.deepEqual(timed, [2 ** 15], 'only N = 2^15 is timed');
  assert.deepEqual(await calibrateKdf(500, time(70), 1), { N: CALIBRATED_N, p: 7 });
  // two lanes at once: the even p nearest the target (500/70 = 7.1 -> 8, 500/80 = 6.25 -> 6, 500/400 -> 2)
  assert.deepEqual(await calibrateKdf(500, time(70), 2), { N: CALIBRATED_N, p: 8 });
  assert.deepEqual(await calibrateKdf(500, time(80), 2), { N: CALIBRATED_N, p: 6 });
  assert.deepEqual(await calibrateKdf(500, time(400), 2), { N: CALIBRATED_N, p: 2 });
  // a fast machine stops at the bound on p, a slow one gets p = 1
  assert.deepEqual(await calibrateKdf(500, time(1), 2), { N: CALIBRATED_N, p: KDF_LIMITS.maxP });
  assert.deepEqual(await calibrateKdf(500, time(5000), 2), { N: CALIBRATED_N, p: 1 });
  // whatever the machine, a reader accepts what init writes
  for (const p of [1, KDF_LIMITS.maxP]) assert.equal(kdfProblem(newKdfParams(CALIBRATED_N, p)), null);
  assert.equal(128 * CALIBRATED_N * 8, 32 * 1024 * 1024);
});
