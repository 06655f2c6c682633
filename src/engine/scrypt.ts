/**
 * scrypt (RFC 7914) with its p lanes on several threads. scrypt is PBKDF2-HMAC-SHA256 around p
 * independent runs of scryptROMix, each over its own 128 * N * r bytes; p exists so that they can
 * run at once. OpenSSL (Node's crypto.scrypt) and restic's Go library run them one after another, so
 * a key calibrated to 0.5 s of work also took 0.5 s of every command. Here the lanes run on libuv's
 * thread pool (native/aes-gcm/scrypt_romix.c), at most `parallel` at a time: the same bytes as
 * crypto.scrypt (unit-tested), the same work for whoever guesses passphrases, and on two cores half
 * the wait, for two lanes' memory at once instead of one (SCRYPT_PARALLEL_MEMORY).
 */
import { availableParallelism } from 'node:os';
import { pbkdf2Sync } from 'node:crypto';
import { isUintIn } from './validate';
import { loadNative } from './native';

interface RomixModule {
  romix(block: Buffer, N: number, r: number): Promise<void>;
}

/** loaded at the first derivation: the worker threads import this module's callers but never derive */
let native: RomixModule | null = null;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** Lanes run at once by default: one per core, as the pool has threads for (libuv's default is 4). */
export const SCRYPT_PARALLEL = Math.max(1, Math.min(availableParallelism(), 4));

/**
 * The lanes' tables at once stay within this (two calibrated lanes of 32 MiB), or one lane when a
 * single one is larger (drives calibrated before 2026-12-05: N = 2^17, 128 MiB, p = 1), so what the
 * config's bounds allow one lane (kdf.ts KDF_LIMITS) stays the most a derivation holds.
 */
export const SCRYPT_PARALLEL_MEMORY = 64 * 2 ** 20;

/** How many lanes of `cost` run at once: at most `parallel` and p, within SCRYPT_PARALLEL_MEMORY, at least one. */
export function lanesAtOnce(cost: ScryptCost, parallel = SCRYPT_PARALLEL): number {
  const fit = Math.floor(SCRYPT_PARALLEL_MEMORY / (128 * cost.r * cost.N));
  return Math.max(1, Math.min(parallel, cost.p, fit));
}

/** What is wrong with these arguments of scrypt, or null (the native lane's own bounds; kdf.ts has a drive's). */
function costProblem(cost: ScryptCost, keyLength: number): string | null {
  const { N, r, p } = cost;
  if (!isUintIn(N, 2, 2 ** 24) || (N & (N - 1)) !== 0) return `N=${N} is not a power of two from 2 to 2^24`;
  if (!isUintIn(r, 1, 64)) return `r=${String(r)} is not an integer from 1 to 64`;
  if (!isUintIn(p, 1, 2 ** 10)) return `p=${String(p)} is not an integer from 1 to 1024`;
  if (!isUintIn(keyLength, 1, 1024)) return `a key of ${String(keyLength)} bytes is not 1 to 1024`;
  return null;
}

/**
 * `keyLength` bytes of scrypt(password, salt, N, r, p), equal to crypto.scrypt's. A drive's
 * parameters are bounded before (kdf.ts kdfProblem); arguments outside scrypt's own bounds are
 * refused with a TypeError, before any work; a lane that cannot get its memory rejects (ENOMEM).
 */
export async function scryptParallel(
  password: string | Buffer,
  salt: Buffer,
  cost: ScryptCost,
  keyLength: number,
  parallel = SCRYPT_PARALLEL,
): Promise<Buffer> {
  const problem = costProblem(cost, keyLength);
  if (problem) throw new TypeError(`scrypt: ${problem}`);
  const laneBytes = 128 * cost.r;
  const blocks = pbkdf2Sync(password, salt, 1, cost.p * laneBytes, 'sha256');
  try {
    let next = 0;
    const runLanes = async (): Promise<void> => {
      while (next < cost.p) {
        const lane = next++;
        try {
          await (native ??= loadNative<RomixModule>('scrypt_romix', 'scrypt')).romix(
            blocks.subarray(lane * laneBytes, (lane + 1) * laneBytes),
            cost.N,
            cost.r,
          );
        } catch (err) {
          next = cost.p; // start no more lanes
          throw err;
        }
      }
    };
    const runners = lanesAtOnce(cost, parallel);
    // every lane settled before the blocks are wiped: a failed one must not leave another writing
    const results = await Promise.allSettled(Array.from({ length: runners }, runLanes));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return pbkdf2Sync(password, blocks, 1, keyLength, 'sha256');
  } finally {
    blocks.fill(0);
  }
}
