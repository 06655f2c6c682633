/**
 * The key-derivation function: scrypt parameters as a drive's key file states them, the bounds a
 * drive's parameters must keep, the derivation itself (scrypt.ts runs its lanes on the cores) and
 * the calibration of new drives. (The worker threads import the bounds through config.ts; scrypt.ts
 * loads its native module only at the first derivation, which they never make.)
 */
import { randomBytes } from 'node:crypto';
import { lanesAtOnce, scryptParallel } from './scrypt';
import { isUintIn } from './validate';

export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
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

/** What is wrong with scrypt parameters read from a drive, or null when they are within KDF_LIMITS. */
export function kdfProblem(kdf: unknown): string | null {
  const k = (kdf ?? {}) as Partial<Record<keyof KdfParams, unknown>>;
  const L = KDF_LIMITS;
  if (k.name !== 'scrypt') return `unknown key derivation ${JSON.stringify(k.name)} (only scrypt)`;
  if (!isUintIn(k.N, L.minN, L.maxN) || (k.N & (k.N - 1)) !== 0) {
    return `scrypt N=${String(k.N)} is not a power of two from ${L.minN} to ${L.maxN}`;
  }
  if (!isUintIn(k.r, 1, L.maxR)) return `scrypt r=${String(k.r)} is not from 1 to ${L.maxR}`;
  if (!isUintIn(k.p, 1, L.maxP)) return `scrypt p=${String(k.p)} is not from 1 to ${L.maxP}`;
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
