/**
 * Chunk + hash throughput with format 5's public gear table and plain BLAKE3 IDs against format 6's
 * keyed gear table and keyed BLAKE3 (a content key's), on the same data in one process: large
 * files (FastCDC cut, each chunk hashed) and small files (4 KiB blobs, where a per-call cost would
 * show). Runs alternate (unkeyed, keyed, unkeyed, ...) so load from other work falls on both; the
 * medians of CPU time go to docs/benchmarks.md (section keyed-ids). Run: npm run build, then
 * `node dist/bench/engine/keyed.js [rounds]`.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ChunkBuffer, GEAR } from '../../src/engine/chunker';
import { blobId } from '../../src/engine/hash';
import { contentIds } from '../../src/engine/content-key';
import { spliceNamedSection } from '../section';

const MiB = 1024 * 1024;
const rounds = Number(process.argv[2] ?? 9);

/** 96 MiB pseudo-random and 32 MiB of repetitive text: cut points in both regimes. */
function dataset(): Buffer {
  const key = createHash('sha256').update('keyed bench').digest();
  const random = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(96 * MiB));
  const words = 'the quick brown fox jumps over the lazy dog while backups run through the night '.repeat(8);
  const text = Buffer.alloc(32 * MiB);
  for (let at = 0, i = 0; at < text.length; i++) at += text.write(`${i} ${words}\n`, at);
  return Buffer.concat([random, text]);
}

const data = dataset();
const buffer = new ChunkBuffer(data.length);
buffer.bytes.set(data);
const small = Array.from({ length: 20000 }, (_, i) => data.subarray(i * 4096, (i + 1) * 4096));

/** CPU seconds (user + system) of this process since `t0`: less swayed by other work than wall time. */
function cpuSeconds(t0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
}

function chunkAndHash(gear: Uint32Array, idKey: Buffer | null): number {
  buffer.setGear(gear);
  const t0 = process.cpuUsage();
  let pos = 0;
  while (pos < data.length) {
    const len = buffer.findCut(pos, data.length, true);
    blobId(idKey, buffer.bytes.subarray(pos, pos + len));
    pos += len;
  }
  return cpuSeconds(t0);
}

function hashSmall(idKey: Buffer | null): number {
  const t0 = process.cpuUsage();
  for (const b of small) blobId(idKey, b);
  return cpuSeconds(t0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const keyed = contentIds(randomBytes(32));
const times = {
  plainLarge: [] as number[],
  keyedLarge: [] as number[],
  plainSmall: [] as number[],
  keyedSmall: [] as number[],
};
const load0 = loadavg()[0];
chunkAndHash(GEAR, null); // warm up both paths
chunkAndHash(keyed.gear as Uint32Array, keyed.idKey);
for (let r = 0; r < rounds; r++) {
  times.plainLarge.push(chunkAndHash(GEAR, null));
  times.keyedLarge.push(chunkAndHash(keyed.gear as Uint32Array, keyed.idKey));
  times.plainSmall.push(hashSmall(null));
  times.keyedSmall.push(hashSmall(keyed.idKey));
}
const load1 = loadavg()[0];
const mbs = (bytes: number, s: number): string => (bytes / s / 1e6).toFixed(0);
const large = { plain: median(times.plainLarge), keyed: median(times.keyedLarge) };
const smallT = { plain: median(times.plainSmall), keyed: median(times.keyedSmall) };
const rows = [
  `| chunk + hash, 128 MiB (96 random, 32 text) | ${mbs(data.length, large.plain)} MB/s | ${mbs(data.length, large.keyed)} MB/s | ${((large.keyed / large.plain - 1) * 100).toFixed(1)} % |`,
  `| hash only, 20,000 blobs of 4 KiB | ${mbs(small.length * 4096, smallT.plain)} MB/s | ${mbs(small.length * 4096, smallT.keyed)} MB/s | ${((smallT.keyed / smallT.plain - 1) * 100).toFixed(1)} % |`,
];
const section = [
  '## Keyed chunker and IDs (format 6) against unkeyed (format 5)',
  '',
  `\`node dist/bench/engine/keyed.js ${rounds}\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}: medians of ${rounds}`,
  `interleaved runs in one process, one thread, CPU time (user + system); load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end`,
  '(the machine was shared). Time change: positive is slower keyed.',
  '',
  '| work | unkeyed (v5) | keyed (v6) | time change |',
  '| ---- | ------------ | ---------- | ----------- |',
  ...rows,
].join('\n');
console.log(section);
console.log(JSON.stringify(times));
const doc = 'docs/benchmarks.md';
writeFileSync(doc, spliceNamedSection(readFileSync(doc, 'utf8'), 'keyed-ids', section));
