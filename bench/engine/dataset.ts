/**
 * Reproducible benchmark dataset ("1 GiB mixed" at scale 1): incompressible large files,
 * compressible text, 10,000 small files in 100 directories, and shifted copies that only
 * content-defined chunking deduplicates. Same seed, same bytes, on every machine.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1024 * 1024;

export function prng(seed: string, n: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

const WORDS = (() => {
  const r = prng('words', 4000);
  const out: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const len = 2 + (r[i * 4] % 9);
    let w = '';
    for (let j = 0; j < len; j++) w += String.fromCharCode(97 + (r[(i * 4 + j * 7) % 4000] % 26));
    out.push(w);
  }
  return out;
})();

/** Pseudo-English text: words picked by a seeded stream, a newline every ~12 words. */
export function text(seed: string, n: number): Buffer {
  const r = prng(seed, Math.ceil(n / 3) + 16);
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < n) {
    const w = WORDS[((r[i % r.length] << 2) % 1000) ^ (r[(i + 1) % r.length] % 7)];
    const sep = r[(i + 2) % r.length] % 12 === 0 ? '\n' : ' ';
    parts.push(w, sep);
    size += w.length + 1;
    i += 3;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

export interface DatasetInfo {
  path: string;
  files: number;
  bytes: number;
}

export function generate(root: string, scale = 1): DatasetInfo {
  let files = 0;
  let bytes = 0;
  const put = (p: string, data: Buffer): void => {
    writeFileSync(join(root, p), data);
    files++;
    bytes += data.length;
  };
  if (existsSync(join(root, '.complete'))) throw new Error(`${root} already holds a dataset`);
  for (const d of ['big', 'text', 'dup']) mkdirSync(join(root, d), { recursive: true });
  const bigSize = Math.round(128 * MiB * scale);
  for (let i = 0; i < 4; i++) put(`big/random-${i}.bin`, prng(`big${i}`, bigSize));
  for (let i = 0; i < 64; i++)
    put(`text/doc-${String(i).padStart(2, '0')}.txt`, text(`text${i}`, Math.round(4 * MiB * scale)));
  // shifted copies: the first half of big/random-0 with 1 KiB inserted in front
  for (let i = 0; i < 2; i++) {
    put(`dup/shifted-${i}.bin`, Buffer.concat([prng(`ins${i}`, 1024), prng('big0', bigSize).subarray(0, bigSize / 2)]));
  }
  const smallCount = Math.round(10000 * scale);
  for (let i = 0; i < smallCount; i++) {
    const dir = join('small', `d${String(i % 100).padStart(3, '0')}`);
    if (i < 100) mkdirSync(join(root, dir), { recursive: true });
    const size = 1024 + ((i * 7919) % 23000);
    put(join(dir, `f${i}.dat`), i % 2 ? text(`s${i}`, size) : prng(`s${i}`, size));
  }
  writeFileSync(join(root, '.complete'), '');
  return { path: root, files, bytes };
}

/**
 * The many-small-files set: `count` files of 7-350 bytes (`file <i>\n` repeated 1-50 times, so every
 * file is a distinct blob) in directories of 1000 (d0000, d0001, ...).
 */
export function generateMany(root: string, count: number): void {
  if (existsSync(join(root, '.complete'))) return;
  for (let i = 0; i < count; i++) {
    const d = join(root, `d${String(Math.floor(i / 1000)).padStart(4, '0')}`);
    if (i % 1000 === 0) mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `f${i}`), `file ${i}\n`.repeat(1 + (i % 50)));
  }
  writeFileSync(join(root, '.complete'), '');
}

if (require.main === module) {
  const root = process.argv[2];
  if (!root) {
    process.stderr.write('usage: node dist/bench/engine/dataset.js DIR [scale]\n');
    process.exit(1);
  }
  const info = generate(root, Number(process.argv[3] ?? 1));
  process.stdout.write(JSON.stringify(info) + '\n');
}
