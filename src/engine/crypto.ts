/**
 * Keys and authenticated encryption: AES-256-GCM with random 96-bit nonces, stored as
 * nonce || ciphertext || tag. The master key is random and wrapped by a key derived from the
 * passphrase with scrypt. A null key means an unencrypted drive: seal/open pass data through.
 *
 * The cipher runs in native/aes-gcm (OpenSSL, as Node's own), which writes into buffers we own:
 * Node's Cipher API allocates and zero-fills a new buffer per call, which cost more than the
 * encryption (0.45-0.5 ms per MiB against 0.2; 5.5 us against 1.1 for a 2 KB blob).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lanesAtOnce, scryptParallel } from './scrypt';

export const NONCE = 12;
export const TAG = 16;
/** what sealing adds to a blob: its nonce and its tag */
export const OVERHEAD = NONCE + TAG;

/** `aad`: associated data, authenticated and not stored; absent or empty, none (the same bytes). */
interface AesGcm {
  seal(key: Uint8Array, nonce: Uint8Array, src: Uint8Array, dst: Uint8Array, aad?: Uint8Array): void;
  open(key: Uint8Array, src: Uint8Array, dst: Uint8Array, aad?: Uint8Array): boolean;
}

const MODULE = join(__dirname, '..', '..', '..', 'native', 'aes-gcm', 'build', 'Release', 'aes_gcm.node');

function loadAesGcm(): AesGcm {
  if (!existsSync(MODULE)) {
    throw new Error(
      `Baton's AES-GCM module is not built (${MODULE}); run \`npm ci\` or \`node scripts/build-native.mjs\``,
    );
  }
  const module = { exports: {} as AesGcm };
  process.dlopen(module, MODULE);
  // a module built before associated data existed ignores it and would seal blobs unbound
  const probe = Buffer.alloc(OVERHEAD);
  module.exports.seal(Buffer.alloc(32), Buffer.alloc(NONCE), Buffer.alloc(0), probe, Buffer.from('baton'));
  if (module.exports.open(Buffer.alloc(32), probe, Buffer.alloc(0))) {
    throw new Error(
      `Baton's AES-GCM module (${MODULE}) predates associated data; rebuild it: \`node scripts/build-native.mjs\``,
    );
  }
  return module.exports;
}

const aes = loadAesGcm();

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

// nonces come from a pool refilled 1024 at a time: one randomBytes call per nonce costs more
// than sealing a small chunk
let noncePool = Buffer.alloc(0);
let noncePos = 0;
function nextNonce(): Buffer {
  if (noncePos + NONCE > noncePool.length) {
    noncePool = randomBytes(NONCE * 1024);
    noncePos = 0;
  }
  const n = noncePool.subarray(noncePos, noncePos + NONCE);
  noncePos += NONCE;
  return n;
}

export function seal(key: Buffer | null, plain: Uint8Array): Buffer {
  if (key === null) return Buffer.from(plain);
  const out = Buffer.allocUnsafe(plain.length + OVERHEAD);
  aes.seal(key, nextNonce(), plain, out);
  return out;
}

/**
 * seal() into `dst`, which is `plain.length + OVERHEAD` bytes long (or `plain.length` unencrypted),
 * with associated data `aad` if given (blobs of version 5, see objectAad).
 */
export function sealInto(key: Buffer | null, plain: Uint8Array, dst: Uint8Array, aad?: Uint8Array): void {
  if (key === null) dst.set(plain);
  else if (aad === undefined) aes.seal(key, nextNonce(), plain, dst);
  else aes.seal(key, nextNonce(), plain, dst, aad);
}

/**
 * Returns the plaintext, or null when the tag does not verify (wrong key, damaged data, or other
 * associated data than `aad`).
 */
export function open(key: Buffer | null, sealed: Uint8Array, aad?: Uint8Array): Buffer | null {
  if (key === null) return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (sealed.length < OVERHEAD) return null;
  const plain = Buffer.allocUnsafe(sealed.length - OVERHEAD);
  return openNative(key, sealed, plain, aad) ? plain : null;
}

/**
 * open() into `dst` (at least `sealed.length - OVERHEAD` bytes); returns the plaintext's view of
 * `dst`, or null when the tag does not verify.
 */
export function openInto(key: Buffer, sealed: Uint8Array, dst: Buffer, aad?: Uint8Array): Buffer | null {
  if (sealed.length < OVERHEAD) return null;
  const plain = dst.subarray(0, sealed.length - OVERHEAD);
  return openNative(key, sealed, plain, aad) ? plain : null;
}

// the no-AAD call keeps its four arguments (the native side then does not look for a fifth)
const openNative = (key: Buffer, sealed: Uint8Array, plain: Buffer, aad?: Uint8Array): boolean =>
  aad === undefined ? aes.open(key, sealed, plain) : aes.open(key, sealed, plain, aad);

/**
 * Associated data binding a stored object to what it is: a domain string for its type and, for an
 * object not named by the hash of its own stored bytes, its ID. An index copied under snapshots/,
 * or a tree blob served as data, then fails authentication instead of being parsed as the other.
 */
export function objectAad(domain: string, id = ''): Buffer {
  if (!/^baton [a-z0-9 -]+$/.test(domain)) throw new Error(`bad associated-data domain ${JSON.stringify(domain)}`);
  return Buffer.from(id === '' ? domain : `${domain}\0${id}`, 'utf8');
}

/**
 * seal() with associated data (the nonce || ciphertext || tag layout of seal(); with empty `aad`
 * the same bytes). Node's cipher: for metadata objects, not the per-blob hot path.
 */
export function sealWithAad(key: Buffer | null, plain: Uint8Array, aad: Uint8Array): Buffer {
  if (key === null) return Buffer.from(plain);
  const nonce = Buffer.from(nextNonce());
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  return Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
}

/** open() of a sealWithAad() object: null when the tag, the key or the associated data differ. */
export function openWithAad(key: Buffer | null, sealed: Uint8Array, aad: Uint8Array): Buffer | null {
  if (key === null) return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (sealed.length < OVERHEAD) return null;
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(NONCE, sealed.length - TAG)), d.final()]);
  } catch {
    return null;
  }
}

/**
 * Bounds on the scrypt parameters a drive's config may ask for. The config is plain and anyone who
 * can write the drive can edit it: without bounds a forged N makes every open allocate gigabytes
 * or spin for hours before the passphrase is even checked. Memory is 128 * N * r bytes, work
 * grows with N * r * p; every calibrated setting (N = 2^15, r = 8, p up to 16) fits both, as do
 * those of drives calibrated before (N up to 2^18 at p = 1).
 */
export const KDF_LIMITS = {
  minN: 2 ** 10,
  maxN: 2 ** 20,
  maxR: 32,
  maxP: 16,
  maxMemory: 256 * 1024 * 1024,
  maxWork: 2 ** 22,
  minSalt: 16,
  maxSalt: 64,
} as const;

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** What is wrong with scrypt parameters read from a drive, or null when they are within KDF_LIMITS. */
export function kdfProblem(kdf: unknown): string | null {
  const k = (kdf ?? {}) as Partial<Record<keyof KdfParams, unknown>>;
  const L = KDF_LIMITS;
  if (k.name !== 'scrypt') return `unknown key derivation ${JSON.stringify(k.name)} (only scrypt)`;
  if (!isInt(k.N, L.minN, L.maxN) || (k.N & (k.N - 1)) !== 0) {
    return `scrypt N=${String(k.N)} is not a power of two from ${L.minN} to ${L.maxN}`;
  }
  if (!isInt(k.r, 1, L.maxR)) return `scrypt r=${String(k.r)} is not from 1 to ${L.maxR}`;
  if (!isInt(k.p, 1, L.maxP)) return `scrypt p=${String(k.p)} is not from 1 to ${L.maxP}`;
  if (128 * k.N * k.r > L.maxMemory) {
    return `scrypt N=${k.N}, r=${k.r} would need ${(128 * k.N * k.r) / 2 ** 20} MiB, more than ${L.maxMemory / 2 ** 20}`;
  }
  if (k.N * k.r * k.p > L.maxWork) return `scrypt N*r*p=${k.N * k.r * k.p} is more work than ${L.maxWork}`;
  const salt = typeof k.salt === 'string' ? Buffer.from(k.salt, 'base64').length : -1;
  if (salt < L.minSalt || salt > L.maxSalt) {
    return `scrypt salt of ${salt < 0 ? 'no' : salt} bytes, not ${L.minSalt} to ${L.maxSalt}`;
  }
  return null;
}

/**
 * The key-encryption key: scrypt(password, salt, N, r, p), 32 bytes, with the p lanes on as many
 * cores as there are (scrypt.ts; the bytes are crypto.scrypt's).
 */
export async function deriveKek(password: string, kdf: KdfParams): Promise<Buffer> {
  // parseConfig refuses such a drive with a message first; this guards any other caller
  const problem = kdfProblem(kdf);
  if (problem) throw new Error(`refusing to derive a key: ${problem}`);
  return scryptParallel(password, Buffer.from(kdf.salt, 'base64'), kdf, 32);
}

export function newKdfParams(N = 32768, p = 1): KdfParams {
  return { name: 'scrypt', N, r: 8, p, salt: randomBytes(32).toString('base64') };
}

/**
 * The N of a calibrated scrypt: 2^15 at r = 8 is 32 MiB, as restic keeps its own within 60 MiB;
 * the time then comes from p. Every `baton` command derives a key, on a node beside the apps it
 * backs up. Measured (2026-12-05, 3 rounds): a backup of 2,000 tiny files peaked at 203 MiB of RSS
 * with N = 2^17, p = 1 (the calibration before, 0.4 s) and at 112 MiB with N = 2^15, p = 6 (0.5 s);
 * `repo snapshots` at 189 against 91 MiB.
 */
export const CALIBRATED_N = 2 ** 15;

/** Milliseconds one scrypt lane takes here at `N` (r = 8, p = 1): the faster of two runs. */
async function timeKdf(N: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const start = process.hrtime.bigint();
    await deriveKek('calibration', newKdfParams(N));
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/**
 * scrypt parameters that take about `targetMs` of one core's work on this machine, as restic
 * calibrates (0.5 s, memory within 60 MiB): N = CALIBRATED_N (32 MiB) and p the number of its lanes
 * that fill the target, from 1 to KDF_LIMITS' p. The work is what a guess costs whoever attacks the
 * passphrase; the wait is that divided by the lanes run at once (scrypt.ts: one per core, so on
 * two cores about 0.25 s and 64 MiB), so p is rounded to a multiple of them. Measured here:
 * docs/repository-format.md.
 */
export async function calibrateKdf(
  targetMs = 500,
  timeOf: (N: number) => Promise<number> = timeKdf,
  lanes = lanesAtOnce({ N: CALIBRATED_N, r: 8, p: KDF_LIMITS.maxP }),
): Promise<{ N: number; p: number }> {
  const once = await timeOf(CALIBRATED_N);
  // a multiple of the lanes run at once: p = 7 on two cores waits as long as p = 8
  const p = Math.min(KDF_LIMITS.maxP, Math.max(1, Math.round(targetMs / once / lanes) * lanes));
  return { N: CALIBRATED_N, p };
}

/** New scrypt parameters: with `N` given (tests), that N at p = 1; else calibrated (calibrateKdf). */
export async function newCalibratedKdfParams(N?: number): Promise<KdfParams> {
  if (N !== undefined) return newKdfParams(N);
  const calibrated = await calibrateKdf();
  return newKdfParams(calibrated.N, calibrated.p);
}
