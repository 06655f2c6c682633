import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { openCheckpoint, sealCheckpoint, type SealedCheckpoint } from '../../../src/engine/checkpoint-seal';

const cp: Checkpoint = {
  version: 1,
  backupId: 'b1',
  seq: 3,
  time: '2026-12-04T08:00:00.000Z',
  startedAt: '2026-12-04T07:59:00.000Z',
  sources: ['/data/secret-db'],
  app: 'db',
  frames: [{ name: null, node: null, nodes: [] }],
  drives: [{ id: '0123456789abcdef0123456789abcdef', path: '/drives/d1', packs: [] }],
  stats: { files: 2, dirs: 1, bytes: 10, newBytes: 10, newChunks: 2, cachedFiles: 0, packs: 1 },
  errors: [],
  warnings: [],
  reason: 'interval',
};
const place = { jobId: 'job-1', seq: 4, driveId: 'd1' };
const key = randomBytes(32);

const flip = (s: SealedCheckpoint, at: number): SealedCheckpoint => {
  const b = Buffer.from(s.data, 'base64');
  b[at] ^= 0x01;
  return { ...s, data: b.toString('base64') };
};

describe('checkpoint seal', () => {
  test('sealed with the drive key, it opens with the same key and place, and hides its content', () => {
    const sealed = sealCheckpoint(key, place, cp);
    assert.equal(sealed.seal, 'aes-256-gcm');
    assert.doesNotMatch(Buffer.from(sealed.data, 'base64').toString('latin1'), /secret-db/);
    assert.deepEqual(openCheckpoint(key, place, sealed), cp);
  });

  const refusals: { name: string; open: (s: SealedCheckpoint) => unknown; why: RegExp }[] = [
    {
      name: 'another job',
      open: (s) => openCheckpoint(key, { ...place, jobId: 'job-2' }, s),
      why: /tag does not verify/,
    },
    { name: 'another sequence number', open: (s) => openCheckpoint(key, { ...place, seq: 5 }, s), why: /tag/ },
    { name: 'another drive ID', open: (s) => openCheckpoint(key, { ...place, driveId: 'd2' }, s), why: /tag/ },
    { name: 'another key', open: (s) => openCheckpoint(randomBytes(32), place, s), why: /tag/ },
    { name: 'a flipped byte', open: (s) => openCheckpoint(key, place, flip(s, 20)), why: /tag/ },
    { name: 'no key (an unencrypted drive)', open: (s) => openCheckpoint(null, place, s), why: /drive is unencrypted/ },
    {
      name: 'a truncated row',
      open: (s) => openCheckpoint(key, place, { ...s, data: s.data.slice(0, 8) }),
      why: /too short/,
    },
  ];
  for (const r of refusals) {
    test(`refused under ${r.name}`, () => {
      const sealed = sealCheckpoint(key, place, cp);
      assert.throws(
        () => r.open(sealed),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'CHECKPOINT_REFUSED');
          assert.match(err.message, /^checkpoint \d+ of job job-\d does not open with drive d\d's key: /);
          assert.match(err.message, r.why);
          return true;
        },
      );
    });
  }

  test('unencrypted drive: clear with a SHA-256 over place and content, which catches a moved or damaged row', () => {
    const sealed = sealCheckpoint(null, place, cp);
    assert.equal(sealed.seal, 'sha256');
    assert.deepEqual(openCheckpoint(null, place, sealed), cp);
    assert.throws(() => openCheckpoint(null, { ...place, seq: 1 }, sealed), /SHA-256 does not match/);
    assert.throws(() => openCheckpoint(null, place, flip(sealed, 40)), /SHA-256 does not match/);
    assert.throws(() => openCheckpoint(key, place, sealed), /stored in clear but the drive is encrypted/);
  });
});
