/**
 * Key files (restic's keys/): each wraps a drive's random master key under its own passphrase.
 * Key `config` is the one in a version 2 config (every drive's first key); the others are files
 * `keys/<id>`, plain JSON named by the BLAKE3 of their bytes. Opening tries each key in turn;
 * every key's scrypt parameters are checked before anything is derived from them.
 */
import { open } from './crypto';
import { kekCache } from './key-cache';
import type { KdfParams } from './kdf';
import { wrappedKeyProblem } from './config';
import type { DriveConfig } from './config';
import { contentId } from './hash';
import { isId } from './known-ids';
import { EngineError } from './errors';

/** The ID of the key held in a version 2 config. */
export const CONFIG_KEY = 'config';
/** At most this many keys are tried when opening (each costs a scrypt run): a bound on a forged drive. */
export const MAX_KEYS = 32;

export interface KeyFile {
  version: 1;
  created: string;
  hostname: string;
  username: string;
  kdf: KdfParams;
  masterKey: string;
}

/** What is wrong with a key file's JSON, or null; the scrypt bounds are config.ts's. */
export function keyFileProblem(v: unknown): string | null {
  const k = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (k.version !== 1) return `version ${JSON.stringify(k.version)}, not 1`;
  for (const f of ['created', 'hostname', 'username'] as const) {
    if (typeof k[f] !== 'string') return `no ${f}`;
  }
  return wrappedKeyProblem(k.kdf, k.masterKey);
}

/** The drive's keys as stored: the config's (version 2) first, then keys/ by creation time. */
export async function readKeys(
  root: string,
  config: DriveConfig,
  list: () => Promise<string[]>,
  read: (name: string) => Promise<Buffer>,
): Promise<{ id: string; key: KeyFile }[]> {
  const out: { id: string; key: KeyFile }[] = [];
  const enc = config.encryption;
  if (enc?.kdf && enc.masterKey) {
    out.push({
      id: CONFIG_KEY,
      key: { version: 1, created: config.created, hostname: '', username: '', kdf: enc.kdf, masterKey: enc.masterKey },
    });
  }
  const files: { id: string; key: KeyFile }[] = [];
  for (const name of await list()) {
    const data = await read(name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch {
      parsed = null;
    }
    const problem = !isId(name) || contentId(data) !== name ? 'is not named by its ID' : keyFileProblem(parsed);
    if (problem) {
      throw new EngineError(
        `key file keys/${name} of drive ${root} is refused: ${problem}; no key was derived and nothing was read or written. ` +
          `It is damaged or was tampered with: remove it (the drive's other keys still open it)`,
        'BAD_CONFIG',
      );
    }
    files.push({ id: name, key: parsed as KeyFile });
  }
  files.sort((a, b) => a.key.created.localeCompare(b.key.created) || a.id.localeCompare(b.id));
  return [...out, ...files];
}

/** The master key and the ID of the key that the password opens, or null when none does. */
export async function unlockKeys(
  root: string,
  keys: { id: string; key: KeyFile }[],
  password: string,
): Promise<{ key: Buffer; id: string } | null> {
  if (keys.length === 0) {
    throw new EngineError(`drive ${root} is encrypted but has no key; restore its keys/ from a copy`, 'BAD_CONFIG');
  }
  if (keys.length > MAX_KEYS) {
    throw new EngineError(
      `drive ${root} has ${keys.length} keys, more than baton tries (${MAX_KEYS}); no key was derived. ` +
        `Remove the keys no one uses from its keys/ directory`,
      'BAD_CONFIG',
    );
  }
  for (const { id, key } of keys) {
    const kek = await kekCache.kek(password, key.kdf);
    const master = open(kek, Buffer.from(key.masterKey, 'base64'));
    if (master !== null && master.length === 32) return { key: master, id };
  }
  return null;
}
