/**
 * `baton repo ...` starts deriving its drive's key before the engine's modules load. The
 * derivation (scrypt, about 0.5 s of work calibrated at init, its lanes on libuv's threads) waited
 * for the modules (about 0.1 s on one core) although it needs none of them; begun here, the two
 * run at once. bin/baton.js calls this first, loading only this module, the key cache and scrypt.
 *
 * It only warms the process's key cache (engine/key-cache.ts), which serves the key scrypt gives
 * for exactly this passphrase and these parameters: opening the drive later still reads, checks
 * and authenticates everything as before, and anything unusual here (no --drive, no passphrase, no
 * readable config, parameters out of bounds) just skips the head start, leaving the errors to the
 * command itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kekCache } from '../engine/key-cache';
import { kdfProblem, type KdfParams } from '../engine/kdf';
import { readPasswordFile } from './password-file';

/** The value of `--name <v>` or `--name=<v>` (its first occurrence) before a `--`, or undefined. */
export function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return undefined;
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** The passphrase the command will use, as repo-command.ts reads it, or undefined. */
function passphrase(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const file = optionValue(args, '--password-file');
  if (file === undefined) return env.BATON_PASSWORD;
  try {
    return readPasswordFile(file);
  } catch {
    return undefined;
  }
}

/**
 * The KDF parameters of the drive at `path` (its config's key), or null. Only these are checked
 * (kdfProblem), not the whole config: parseConfig would load the hashing and chunking modules this
 * head start runs ahead of. The drive's opening reads and checks the config again, all of it.
 */
function kdfOf(path: string): KdfParams | null {
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(join(path, 'config'), 'utf8'));
  } catch {
    return null;
  }
  const kdf = (config as { encryption?: { kdf?: unknown } } | null)?.encryption?.kdf;
  return kdf !== undefined && kdfProblem(kdf) === null ? (kdf as KdfParams) : null;
}

/**
 * Starts the derivation of the key of the first `--drive` in `args` (the arguments after `repo`),
 * unless the command is `init`. Returns whether it started; never throws.
 */
export function prefetchDriveKey(args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (args[0] === 'init') return false;
  const drive = optionValue(args, '--drive');
  if (drive === undefined) return false;
  const pw = passphrase(args, env);
  if (!pw) return false;
  const kdf = kdfOf(drive);
  if (!kdf) return false;
  kekCache.kek(pw, kdf).catch(() => undefined); // a failure is the command's to meet, and report
  return true;
}
