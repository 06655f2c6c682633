/**
 * The content key (repository format 6): a random 32-byte key per cluster of drives, from which a
 * drive's blob IDs (keyed BLAKE3 under one subkey) and its chunker's gear table (a PRF of another)
 * are derived, so that whoever reads a drive cannot test whether a known file is on it. Every v6
 * encrypted drive keeps it in its config sealed under its own master key (`contentKey`); a new
 * drive of the cluster gets the same one, copied from a drive the caller opened
 * (`create.contentKey`), so drives of one cluster deduplicate against each other and a backup
 * resumes across them. See docs/repository-format.md "Content key".
 */
import { scrypt, timingSafeEqual } from 'node:crypto';
import { openWithAad, objectAad, sealWithAad } from './crypto';
import { deriveSubkey, keyedContentId } from './hash';
import { EngineError } from './errors';

/** Associated data of the sealed content key in a v6 config. */
export const CONTENT_KEY_DOMAIN = 'baton content key v6';
/** BLAKE3 derive_key contexts of the content key's subkeys. */
export const ID_KEY_CONTEXT = 'baton blob id v6';
export const GEAR_KEY_CONTEXT = 'baton gear v6';
export const FINGERPRINT_CONTEXT = 'baton content key fingerprint v6';
/** nonce (12) || AES-256-GCM of the 32-byte content key || tag (16) */
export const SEALED_CONTENT_KEY_LENGTH = 12 + 32 + 16;

/** What a drive's chunker and hasher use: null ID key and the public gear table when unkeyed. */
export interface ContentIds {
  /** BLAKE3 key of blob IDs, or null: plain BLAKE3 (formats 2-5, unencrypted drives) */
  idKey: Buffer | null;
  /** the chunker's gear table: keyed (format 6, encrypted) or null for the public one */
  gear: Uint32Array | null;
  /** names the content key without revealing it (32 hex digits), or 'unkeyed' */
  fingerprint: string;
}

export const UNKEYED: ContentIds = { idKey: null, gear: null, fingerprint: 'unkeyed' };

/** The ID key, gear table and fingerprint a content key gives. */
export function contentIds(contentKey: Buffer): ContentIds {
  if (contentKey.length !== 32) throw new Error(`a content key is 32 bytes, not ${contentKey.length}`);
  return {
    idKey: deriveSubkey(ID_KEY_CONTEXT, contentKey),
    gear: keyedGear(deriveSubkey(GEAR_KEY_CONTEXT, contentKey)),
    fingerprint: deriveSubkey(FINGERPRINT_CONTEXT, contentKey).toString('hex').slice(0, 32),
  };
}

/**
 * The gear table under `gearKey`: entry i is the first 4 bytes (big-endian) of keyed BLAKE3 of the
 * ASCII decimal i, as the public table is of SHA-256 of "baton-gear-v1:" i. Independent random
 * 32-bit values, as a gear hash wants; deterministic for the key.
 */
export function keyedGear(gearKey: Buffer): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) t[i] = parseInt(keyedContentId(gearKey, Buffer.from(String(i))).slice(0, 8), 16);
  return t;
}

/** The content key sealed under a drive's master key, base64, for its config. */
export function sealContentKey(masterKey: Buffer, contentKey: Buffer): string {
  return sealWithAad(masterKey, contentKey, objectAad(CONTENT_KEY_DOMAIN)).toString('base64');
}

/** The content key of a v6 config, refusing one that does not open under the drive's master key. */
export function openContentKey(masterKey: Buffer, sealed: string, drivePath: string): Buffer {
  const key = openWithAad(masterKey, Buffer.from(sealed, 'base64'), objectAad(CONTENT_KEY_DOMAIN));
  if (key === null || key.length !== 32) {
    throw new EngineError(
      `the content key in the config of drive ${drivePath} does not open with the drive's master key (damaged, or ` +
        `copied from another drive's config); refusing to use the drive, nothing was read or written. Restore the ` +
        `config from a copy`,
      'BAD_CONFIG',
    );
  }
  return key;
}

/** Whether two drives cut and name chunks alike (same content key, or both unkeyed). */
export function sameContentIds(a: ContentIds, b: ContentIds): boolean {
  const fa = Buffer.from(a.fingerprint);
  const fb = Buffer.from(b.fingerprint);
  return fa.length === fb.length && timingSafeEqual(fa, fb);
}

/** Checks a content key handed to init (copied from another drive): 32 bytes. */
export function checkGivenContentKey(key: unknown, drivePath: string): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new EngineError(
      `the content key given to initialise drive ${drivePath} is not 32 bytes; nothing was written. Take it from ` +
        `an opened drive of the cluster (drive.contentKey), or give none for a new random one`,
      'BAD_OPTION',
    );
  }
  return key;
}

/** scrypt cost of clusterContentKey: fixed (not calibrated), so every node derives the same key. */
export const CLUSTER_KEY_SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;

/**
 * The content key of a cluster's drives, for a node that initialises one (initOnFirstBackup,
 * `baton apply --init-drives`): scrypt of the cluster's passphrase, salted with the cluster's name,
 * at a fixed cost (about 0.3 s here), so every node of the cluster gives its new drives the same key
 * without opening another drive, and guessing it is no cheaper than guessing the passphrase from a
 * drive's wrapped key. Stored in each drive's config once made, so a later passphrase change keeps it.
 */
export function clusterContentKey(passphrase: string, cluster: string): Promise<Buffer> {
  const { N, r, p } = CLUSTER_KEY_SCRYPT;
  const salt = Buffer.concat([Buffer.from(CONTENT_KEY_DOMAIN), Buffer.from([0]), Buffer.from(cluster)]);
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
