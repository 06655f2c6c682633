/**
 * Test helpers for the engine: deterministic pseudo-random data, cheap-KDF drives and a builder
 * for awkward trees. Temp dirs are in temp.ts, the tree comparison in tree.ts.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmodSync, linkSync, symlinkSync, truncateSync, utimesSync, openSync, writeSync, closeSync } from 'node:fs';
import { Drive } from '../../src/engine/drive';
import type { CreateOptions } from '../../src/engine/drive';

export const PASSWORD = 'correct horse battery staple';

/** n pseudo-random bytes from a seed (AES-256-CTR keystream). */
export function prng(seed: string, n: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/**
 * The content key of the test drives (format 6): one for all, as the drives of one cluster share
 * theirs, so tests resume and dedup across them; a test of separate clusters passes its own.
 */
export const TEST_CONTENT_KEY = createHash('sha256').update('baton test cluster').digest();

export function createDrive(path: string, create: Partial<CreateOptions> = {}): Promise<Drive> {
  return Drive.open(path, {
    password: PASSWORD,
    create: { kind: 'directory', encryption: true, kdfN: 1024, contentKey: TEST_CONTENT_KEY, ...create },
  });
}

const B = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);
const J = (a: Buffer, b: Buffer | string): Buffer => Buffer.concat([a, Buffer.from('/'), B(b)]);

/**
 * Odd and non-UTF-8 names, deep nesting, symlinks (relative, absolute, dangling, non-UTF-8 target),
 * hard links, empty dirs and files, a sparse file, modes and nanosecond mtimes.
 */
export function buildAwkwardTree(root: string, opts: { bigFile?: number } = {}): void {
  const r = Buffer.from(root);
  mkdirSync(r, { recursive: true });
  writeFileSync(J(r, 'plain.txt'), 'hello\n');
  writeFileSync(J(r, 'with space & "quotes"'), 'q');
  writeFileSync(J(r, 'new\nline'), 'nl');
  writeFileSync(J(r, 'ünïcödé-日本語'), 'u');
  writeFileSync(J(r, Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xff, 0xfe])), 'latin1 name');
  writeFileSync(J(r, 'empty'), '');
  mkdirSync(J(r, 'empty-dir'));
  let deep = J(r, 'deep');
  mkdirSync(deep);
  for (let i = 0; i < 40; i++) {
    deep = J(deep, `d${i}`);
    mkdirSync(deep);
  }
  writeFileSync(J(deep, 'bottom'), 'deep file');
  symlinkSync('plain.txt', J(r, 'link-rel'));
  symlinkSync('/etc/hostname', J(r, 'link-abs'));
  symlinkSync('does/not/exist', J(r, 'link-dangling'));
  symlinkSync(Buffer.from([0x78, 0xff]), J(r, 'link-raw'));
  mkdirSync(J(r, 'hard'));
  writeFileSync(J(r, 'hard/a'), prng('hard', 5000));
  linkSync(J(r, 'hard/a'), J(r, 'hard/b'));
  linkSync(J(r, 'hard/a'), J(r, 'hard-c'));
  writeFileSync(J(r, 'mode-600'), 'secret');
  chmodSync(J(r, 'mode-600'), 0o600);
  writeFileSync(J(r, 'exec'), '#!/bin/sh\n');
  chmodSync(J(r, 'exec'), 0o755);
  // sparse: 12 MiB with data in the middle
  const sp = J(r, 'sparse');
  writeFileSync(sp, '');
  truncateSync(sp, 12 * 1024 * 1024);
  const fd = openSync(sp, 'r+');
  writeSync(fd, prng('sparse', 100_000), 0, 100_000, 5 * 1024 * 1024);
  closeSync(fd);
  mkdirSync(J(r, 'data'));
  for (let i = 0; i < 20; i++)
    writeFileSync(J(r, `data/f${String(i).padStart(2, '0')}`), prng(`f${i}`, 1000 + i * 37_000));
  writeFileSync(J(r, 'data/dup1'), prng('dup', 700_000));
  writeFileSync(J(r, 'data/dup2'), prng('dup', 700_000));
  if (opts.bigFile) writeFileSync(J(r, 'big.bin'), prng('big', opts.bigFile));
  utimesSync(J(r, 'plain.txt'), 1_600_000_000.123456, 1_600_000_000.123456);
  chmodSync(J(r, 'empty-dir'), 0o750);
}

/** Allocated bytes of a file (to check holes survive). */
export function allocatedBytes(path: string): number {
  return Number(lstatSync(path, { bigint: true }).blocks) * 512;
}
