/**
 * `baton repo key`: list, add, remove a drive's keys, and change a password (add, then remove the
 * key in use). Key files and opening: key-files.ts.
 */
import { hostname, userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seal } from './crypto';
import { deriveKek, newCalibratedKdfParams } from './kdf';
import { checkConfigMac, configMac, parseConfig } from './config';
import type { DriveConfig } from './config';
import type { Drive } from './drive';
import { atomicWrite } from './fsutil';
import { contentId } from './hash';
import { EngineError } from './errors';
import { Lock } from './lock';
import { CONFIG_KEY, readKeys } from './key-files';
import type { KeyFile } from './key-files';

export interface KeyInfo {
  id: string;
  created: string;
  hostname: string;
  username: string;
  /** the key this process opened the drive with */
  current: boolean;
}

function encryptedKey(drive: Drive): Buffer {
  if (drive.key === null) {
    throw new EngineError(
      `drive ${drive.path} is unencrypted, so it has no keys; nothing was changed. Init an encrypted drive to use passphrases`,
      'UNENCRYPTED_DRIVE',
    );
  }
  return drive.key;
}

export async function listKeys(drive: Drive, config = drive.config): Promise<KeyInfo[]> {
  encryptedKey(drive);
  const keys = await readKeys(
    drive.path,
    config,
    () => drive.list('keys'),
    (n) => drive.readFile('keys', n),
  );
  return keys.map(({ id, key }) => ({
    id,
    created: key.created,
    hostname: key.hostname,
    username: key.username,
    current: id === drive.keyId,
  }));
}

/** Adds a key wrapping the drive's master key under `password`; returns its ID. */
export async function addKey(drive: Drive, password: string, kdfN?: number): Promise<string> {
  const master = encryptedKey(drive);
  if (!password) throw new EngineError('the new password is empty; give one with characters in it', 'NO_PASSWORD');
  const kdf = await newCalibratedKdfParams(kdfN);
  const kek = await deriveKek(password, kdf);
  const file: KeyFile = {
    version: 1,
    created: new Date().toISOString(),
    hostname: hostname(),
    username: userInfo().username,
    kdf,
    masterKey: seal(kek, master).toString('base64'),
  };
  const data = Buffer.from(JSON.stringify(file, null, 2) + '\n');
  const id = contentId(data);
  await drive.writeFile('keys', id, data);
  return id;
}

/** The one key `ref` (an ID or a unique prefix of one) names. */
export function findKey(drive: Drive, keys: KeyInfo[], ref: string): KeyInfo {
  const hits = keys.filter((k) => k.id === ref || (ref.length > 0 && k.id.startsWith(ref)));
  const exact = hits.find((k) => k.id === ref);
  if (exact) return exact;
  if (hits.length !== 1) {
    throw new EngineError(
      `${hits.length === 0 ? 'no' : 'more than one'} key of drive ${drive.path} matches ${JSON.stringify(ref)}; ` +
        `nothing was changed. See \`baton repo key list --drive ${drive.path}\``,
      'BAD_OPTION',
    );
  }
  return hits[0];
}

/**
 * Removes a key, under the exclusive lock; refuses the key this process opened the drive with and
 * the last key. Removing key `config` rewrites the config as version 3 (its keys all in keys/).
 */
export async function removeKey(drive: Drive, ref: string, current = drive.keyId): Promise<string> {
  encryptedKey(drive);
  const lock = await Lock.acquire(drive, true, 'key remove');
  try {
    // read again under the lock: another process may have removed a key since this one opened the drive
    const config = parseConfig(await readFile(join(drive.path, 'config'), 'utf8'), drive.path);
    checkConfigMac(config, drive.key, drive.path);
    const keys = await listKeys(drive, config);
    const k = findKey(drive, keys, ref);
    if (k.id === current) {
      throw new EngineError(
        `key ${k.id} is the one this password opened drive ${drive.path} with; nothing was changed. ` +
          `Open the drive with another key's password to remove it, or use \`baton repo key passwd\``,
        'KEY_IN_USE',
      );
    }
    if (keys.length === 1) {
      throw new EngineError(`key ${k.id} is the last key of drive ${drive.path}; nothing was changed`, 'KEY_IN_USE');
    }
    lock.throwIfLost();
    if (k.id === CONFIG_KEY) await dropConfigKey(drive.path, config, drive.key);
    else await drive.remove('keys', k.id);
    return k.id;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** Rewrites a config without its key: version 2 as version 3, 4 to 6 stay (5 and 6 with their MAC made anew; 6 keeps its sealed content key). */
async function dropConfigKey(root: string, current: DriveConfig, masterKey: Buffer | null): Promise<void> {
  if (!current.encryption?.masterKey) return;
  const { algorithm } = current.encryption;
  const version = current.version === 2 ? 3 : current.version;
  const config: DriveConfig = { ...current, version, encryption: { algorithm } };
  delete config.mac;
  if (version >= 5 && masterKey !== null) config.mac = configMac(masterKey, config);
  await atomicWrite(join(root, 'config'), Buffer.from(JSON.stringify(config, null, 2) + '\n'));
}

/** Adds a key for `password` and removes the one this process opened the drive with. */
export async function changePassword(
  drive: Drive,
  password: string,
  kdfN?: number,
): Promise<{ added: string; removed: string }> {
  encryptedKey(drive);
  const added = await addKey(drive, password, kdfN);
  const removed = await removeKey(drive, drive.keyId ?? '', added);
  return { added, removed };
}
