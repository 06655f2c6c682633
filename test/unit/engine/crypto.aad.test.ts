/**
 * Sealing with associated data (objectAad, sealWithAad, openWithAad): an object opens only with the
 * associated data it was sealed with, so an object of one type or ID served as another is refused;
 * with empty associated data the bytes are seal()'s, both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { NONCE, OVERHEAD, TAG, objectAad, open, openWithAad, seal, sealWithAad } from '../../../src/engine/crypto';

const key = randomBytes(32);
const id = 'ab'.repeat(32);

void test('objectAad is the domain string, then a NUL and the ID when there is one', () => {
  assert.deepEqual(objectAad('baton index v4'), Buffer.from('baton index v4'));
  assert.equal(objectAad('baton blob tree', id).toString('hex'), Buffer.from(`baton blob tree\0${id}`).toString('hex'));
  assert.throws(() => objectAad('index'), /bad associated-data domain "index"/);
});

void test('an object opens with its own associated data and with no other', () => {
  const plain = randomBytes(1000);
  const sealed = sealWithAad(key, plain, objectAad('baton index v4'));
  assert.equal(sealed.length, plain.length + OVERHEAD);
  assert.deepEqual(openWithAad(key, sealed, objectAad('baton index v4')), plain);
  assert.equal(openWithAad(key, sealed, objectAad('baton snapshot v4')), null, 'an index read as a snapshot');
  assert.equal(openWithAad(key, sealed, Buffer.alloc(0)), null, 'no associated data');
  assert.equal(open(key, sealed), null, 'the old open, which has none');
  assert.equal(openWithAad(randomBytes(32), sealed, objectAad('baton index v4')), null, 'another key');
  const blob = sealWithAad(key, plain, objectAad('baton blob data', id));
  assert.equal(openWithAad(key, blob, objectAad('baton blob tree', id)), null, 'data served as a tree');
  assert.equal(openWithAad(key, blob, objectAad('baton blob data', 'cd'.repeat(32))), null, 'under another ID');
  const damaged = Buffer.from(sealed);
  damaged[NONCE + 3] ^= 1;
  assert.equal(openWithAad(key, damaged, objectAad('baton index v4')), null, 'a flipped bit');
  assert.equal(openWithAad(key, sealed.subarray(0, OVERHEAD - 1), Buffer.alloc(0)), null, 'too short');
});

void test('the associated data is what Node’s GCM authenticates, and empty means seal()’s format', () => {
  const plain = randomBytes(300);
  const aad = objectAad('baton snapshot v4');
  const sealed = sealWithAad(key, plain, aad);
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  assert.deepEqual(Buffer.concat([d.update(sealed.subarray(NONCE, sealed.length - TAG)), d.final()]), plain);
  assert.deepEqual(open(key, sealWithAad(key, plain, Buffer.alloc(0))), plain);
  assert.deepEqual(openWithAad(key, seal(key, plain), Buffer.alloc(0)), plain);
});

void test('unencrypted (null key): the bytes pass through, there is nothing to bind', () => {
  const plain = Buffer.from('plain');
  assert.deepEqual(sealWithAad(null, plain, objectAad('baton index v4')), plain);
  assert.deepEqual(openWithAad(null, plain, objectAad('baton snapshot v4')), plain);
});
