import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { lanesAtOnce, scryptParallel } from '../../../src/engine/scrypt';

void test('scryptParallel gives the test vectors of RFC 7914 section 12', async () => {
  const empty = await scryptParallel('', Buffer.alloc(0), { N: 16, r: 1, p: 1 }, 64);
  assert.equal(
    empty.toString('hex'),
    '77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442' +
      'fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906',
  );
  const nacl = await scryptParallel('password', Buffer.from('NaCl'), { N: 1024, r: 8, p: 16 }, 64);
  assert.equal(
    nacl.toString('hex'),
    'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162' +
      '2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640',
  );
});

void test('scryptParallel equals crypto.scrypt for every lane count and any number of lanes at once', async () => {
  const salt = randomBytes(32);
  for (const p of [1, 2, 3, 6]) {
    const expected = scryptSync('correct horse', salt, 32, { N: 1024, r: 8, p });
    for (const parallel of [1, 2, 4, 8]) {
      const got = await scryptParallel('correct horse', salt, { N: 1024, r: 8, p }, 32, parallel);
      assert.ok(got.equals(expected), `p=${p}, ${parallel} at once`);
    }
  }
  // a passphrase beyond ASCII is taken as UTF-8 by both; other r and N too
  const utf8 = scryptSync('pässwört ☃', salt, 32, { N: 2048, r: 4, p: 3 });
  assert.ok((await scryptParallel('pässwört ☃', salt, { N: 2048, r: 4, p: 3 }, 32)).equals(utf8));
});

void test('scryptParallel at the calibrated N and p matches crypto.scrypt', async () => {
  const salt = randomBytes(32);
  const cost = { N: 2 ** 15, r: 8, p: 2 };
  const expected = scryptSync('calibrated', salt, 32, { ...cost, maxmem: 64 * 2 ** 20 });
  assert.ok((await scryptParallel('calibrated', salt, cost, 32)).equals(expected));
});

void test('scrypt refuses arguments outside its bounds with a TypeError naming the one at fault', async () => {
  const salt = randomBytes(16);
  const refused = (cost: { N: number; r: number; p: number }, keyLength: number, why: RegExp) =>
    assert.rejects(scryptParallel('x', salt, cost, keyLength), (err: unknown) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, why);
      return true;
    });
  await refused({ N: 1000, r: 8, p: 1 }, 32, /^scrypt: N=1000 is not a power of two/);
  await refused({ N: 1, r: 8, p: 1 }, 32, /^scrypt: N=1 is not a power of two from 2/);
  await refused({ N: 1024, r: 0, p: 1 }, 32, /^scrypt: r=0 is not an integer from 1 to 64/);
  await refused({ N: 1024, r: 8, p: 0 }, 32, /^scrypt: p=0 is not an integer/);
  await refused({ N: 1024, r: 8, p: 1.5 }, 32, /^scrypt: p=1.5 is not an integer/);
  await refused({ N: 1024, r: 8, p: 1 }, 0, /^scrypt: a key of 0 bytes/);
});

void test('lanes run at once up to the cores given and two calibrated lanes of memory, one when a lane is larger', () => {
  assert.equal(lanesAtOnce({ N: 2 ** 15, r: 8, p: 6 }, 4), 2, 'two lanes of 32 MiB fill the 64 MiB');
  assert.equal(lanesAtOnce({ N: 2 ** 15, r: 8, p: 6 }, 1), 1);
  assert.equal(lanesAtOnce({ N: 2 ** 17, r: 8, p: 1 }, 4), 1, 'p = 1 is one lane');
  assert.equal(lanesAtOnce({ N: 2 ** 18, r: 8, p: 2 }, 4), 1, 'a 256 MiB lane runs alone');
  assert.equal(lanesAtOnce({ N: 2 ** 10, r: 8, p: 16 }, 4), 4, 'small lanes: as many as cores');
  assert.equal(lanesAtOnce({ N: 2 ** 10, r: 8, p: 3 }, 4), 3, 'never more than p');
});
