import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packJobs, packResults, unpackJobs, unpackResults } from '../../../src/engine/batch-wire';
import type { SealResult, SegmentJob } from '../../../src/engine/seal-worker';

const id = (c: string): string => c.repeat(64);

void test('jobs come out as they went in: paths byte for byte, numbers, the listed device and inode where given', () => {
  const jobs: Omit<SegmentJob, 'kind'>[] = [
    { path: '/src/a', offset: 0, target: 8 << 20, stat: true, dev: 2049n, ino: 2n ** 63n + 5n },
    { path: Buffer.from([0x2f, 0xff, 0xfe, 0x0a]).toString('latin1'), offset: 4096, target: 1 },
    { path: '', offset: 0, target: 2, stat: true },
  ];
  const out = unpackJobs(structuredClone(packJobs(jobs)));
  assert.deepEqual(
    out,
    jobs.map((j) => ({ kind: 'segment', ...j })),
  );
  assert.deepEqual(unpackJobs(packJobs([])), []);
});

void test('a path with a NUL byte is refused when packed, not split into two', () => {
  assert.throws(() => packJobs([{ path: 'a\0b', offset: 0, target: 1 }]), /NUL byte/);
});

void test('a packed batch whose arrays disagree is refused', () => {
  const p = packJobs([{ path: 'a', offset: 0, target: 1 }]);
  assert.throws(() => unpackJobs({ ...p, paths: 'a\0b' }), /2 paths has 1 jobs/);
});

void test('results come out as they went in: chunks, flags, stats, errors, each file its own bytes', () => {
  const results: SealResult[] = [
    {
      offset: 0,
      chunks: [
        { id: id('a'), rawLength: 10, compressed: true, start: 0, length: 3 },
        { id: id('b'), rawLength: 7, compressed: false, start: 3, length: 0, known: true },
      ],
      data: Buffer.from('xyz'),
      nextOffset: 17,
      eof: true,
      stat: { size: 17n, mtimeNs: 1_764_000_000_123_456_789n, ctimeNs: -5n },
    },
    { offset: 0, chunks: [], data: new Uint8Array(0), error: { code: 'ENOENT', message: 'gone' } },
    {
      offset: 512,
      chunks: [{ id: id('c'), rawLength: 4, compressed: false, start: 0, length: 4 }],
      data: Buffer.from('pqrs'),
      nextOffset: 516,
    },
  ];
  const out = unpackResults(structuredClone(packResults(results)));
  assert.equal(out.length, 3);
  out.forEach((r, i) => {
    const want = results[i];
    assert.deepEqual(Buffer.from(r.data), Buffer.from(want.data));
    assert.deepEqual({ ...r, data: null }, { ...want, data: null });
  });
});

void test('a chunk ID that is not 64 hex digits cannot be packed', () => {
  const r: SealResult = {
    offset: 0,
    chunks: [{ id: 'abc', rawLength: 1, compressed: false, start: 0, length: 1 }],
    data: Buffer.from('a'),
  };
  assert.throws(() => packResults([r]), /not 64 hex digits/);
});
