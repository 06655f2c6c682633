/**
 * The drive's config file: format version first, kind, chunker/pack parameters and, in version 2,
 * the first wrapped key (key `config`; more keys live in keys/, see keys.ts). Version 3 is a
 * config whose key was removed: its keys are all in keys/. From version 5 an encrypted drive's
 * config carries a MAC under the master key (`mac`), and blobs and pack trailers are bound too.
 */
import { timingSafeEqual } from 'node:crypto';
import { objectAad } from './crypto';
import { kdfProblem, type KdfParams } from './kdf';
import { deriveSubkey, keyedContentId } from './hash';
import { AVG_CHUNK, MAX_CHUNK, MIN_CHUNK } from './chunker';
import { EngineError } from './errors';
import { SEALED_CONTENT_KEY_LENGTH } from './content-key';

/**
 * The newest format version this baton reads and the one `init` writes (6: keyed blob IDs and
 * chunker under the cluster's content key, on top of 5's bound blobs and authenticated config).
 */
export const FORMAT_VERSION = 6;
export const INIT_VERSION = 6;
/** The versions this baton reads and writes, each in its own format (2 and 3: unbound metadata). */
export const READ_VERSIONS: readonly number[] = [2, 3, 4, 5, 6];
/** The versions `init` can still write, for a release that reads no newer (tests use them too). */
export const INIT_VERSIONS: readonly number[] = [4, 5, 6];

/** The associated-data domain of each metadata object of versions 4 and 5 (docs/repository-format.md). */
export const METADATA_DOMAINS = {
  4: { index: 'baton index v4', snapshot: 'baton snapshot v4' },
  5: { index: 'baton index v5', snapshot: 'baton snapshot v5' },
} as const;

/** The associated-data domains of version 5's blobs (with their ID) and pack trailers. */
export const BLOB_DOMAINS = { data: 'baton data v5', tree: 'baton tree v5' } as const;
export const TRAILER_DOMAIN = 'baton pack-trailer v5';
/** Where the config's MAC key is derived from the master key (BLAKE3 derive_key). */
export const CONFIG_MAC_DOMAIN = 'baton config mac v5';

/**
 * The associated data an index file or snapshot of a drive of `version` is sealed with: its type's
 * domain from version 4, none before. Not its ID: that is the hash of the sealed bytes.
 */
export function metadataAad(version: number, type: 'index' | 'snapshot'): Buffer {
  if (version < 4) return Buffer.alloc(0);
  return objectAad(METADATA_DOMAINS[version >= 5 ? 5 : 4][type]);
}

/**
 * The associated data a blob of a drive of `version` is sealed with: from version 5 its type's
 * domain and its ID, so a blob under another ID's index entry, or a data blob read as a tree (or
 * the reverse), fails authentication; undefined (none) before.
 */
export function blobAad(version: number, type: 'data' | 'tree', id: string): Buffer | undefined {
  return version >= 5 ? objectAad(BLOB_DOMAINS[type], id) : undefined;
}

/** The associated data of a pack trailer of a drive of `version`: its domain from version 5, else none. */
export function trailerAad(version: number): Buffer | undefined {
  return version >= 5 ? objectAad(TRAILER_DOMAIN) : undefined;
}
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
export const MIN_VOLUME_SIZE = MAX_CHUNK + 1024 * 1024;

/** nonce (12) || AES-256-GCM of a 32-byte key || tag (16) */
export const WRAPPED_KEY_LENGTH = 12 + 32 + 16;

export type DriveKind = 'directory' | 'tape';

export interface DriveConfig {
  version: number;
  id: string;
  kind: DriveKind;
  created: string;
  chunker: { algorithm: 'fastcdc-gear32-v1'; min: number; avg: number; max: number };
  packSize: number;
  compression: { algorithm: 'zstd'; level: number };
  tape?: { volumeSize: number; volumes: number };
  /** kdf and masterKey: the key `config`, until it is removed (versions 2, 4 and 5) */
  encryption: null | { algorithm: 'aes-256-gcm'; kdf?: KdfParams; masterKey?: string };
  /** version 5 and later, encrypted: configMac() of the rest, 64 hex digits (absent when unencrypted) */
  mac?: string;
  /** version 6, encrypted: the content key sealed under the master key, base64 (content-key.ts) */
  contentKey?: string;
}

export const CHUNKER_PARAMS = {
  algorithm: 'fastcdc-gear32-v1',
  min: MIN_CHUNK,
  avg: AVG_CHUNK,
  max: MAX_CHUNK,
} as const;

/** Parses config JSON, refusing unknown versions before looking at anything else. */
export function parseConfig(text: string, drivePath: string): DriveConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new EngineError(`config of drive ${drivePath} is not valid JSON; the drive is damaged`, 'BAD_CONFIG');
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version !== 'number' || !READ_VERSIONS.includes(version)) {
    const fix =
      typeof version === 'number' && version < FORMAT_VERSION
        ? `it was made by an earlier baton: restore from it with that release, or init a new drive for new backups`
        : `use a baton release that supports it`;
    throw new EngineError(
      `drive ${drivePath} uses repository format version ${String(version)}, this baton reads versions ${READ_VERSIONS.slice(0, -1).join(', ')} and ${FORMAT_VERSION} only; ${fix}`,
      'UNSUPPORTED_VERSION',
    );
  }
  const cfg = raw as DriveConfig;
  if (cfg.chunker?.algorithm !== CHUNKER_PARAMS.algorithm || cfg.chunker.min !== MIN_CHUNK) {
    throw new EngineError(`drive ${drivePath} uses an unknown chunker; the config is damaged`, 'BAD_CONFIG');
  }
  const level = cfg.compression?.level;
  if (cfg.compression?.algorithm !== 'zstd' || !Number.isInteger(level) || level < 1 || level > 22) {
    throw new EngineError(`drive ${drivePath} has an unknown compression setting; the config is damaged`, 'BAD_CONFIG');
  }
  if (cfg.kind !== 'directory' && cfg.kind !== 'tape') {
    throw new EngineError(`drive ${drivePath} has unknown kind ${String(cfg.kind)}`, 'BAD_CONFIG');
  }
  // the ID names this machine's record of the drive (drive-state.ts): a file name, nothing else
  if (typeof cfg.id !== 'string' || !/^[0-9a-f]{32}$/.test(cfg.id)) {
    throw new EngineError(`drive ${drivePath} has a malformed id; the config is damaged`, 'BAD_CONFIG');
  }
  checkMacField(cfg, drivePath);
  checkEncryption(cfg, drivePath);
  checkContentKeyField(cfg, drivePath);
  return cfg;
}

/**
 * A sealed content key exactly where version 6 puts one (encrypted drives): a version 6 encrypted
 * config without one was stripped (its IDs would be computed unkeyed), an older one carrying one
 * was edited down.
 */
function checkContentKeyField(cfg: DriveConfig, drivePath: string): void {
  const v = (cfg as { contentKey?: unknown }).contentKey;
  // one saying unencrypted is refused when opened (Drive.open), after what a passphrase given says of it
  if (cfg.encryption === null && (v === undefined || typeof v === 'string')) return;
  const wanted = cfg.version >= 6;
  if (!wanted && v === undefined) return;
  const problem = !wanted
    ? `it says version ${cfg.version} but carries a version 6 content key (its version was edited down)`
    : v === undefined
      ? 'it is version 6 and encrypted but carries no content key'
      : typeof v !== 'string' || Buffer.from(v, 'base64').length !== SEALED_CONTENT_KEY_LENGTH
        ? 'its content key is malformed'
        : null;
  if (problem === null) return;
  throw new EngineError(
    `config of drive ${drivePath} is refused: ${problem}; nothing was read or written. Its config is damaged or ` +
      `was tampered with: restore the config from a copy`,
    'BAD_CONFIG',
  );
}

/**
 * A MAC only where version 5 puts one: a version 2-4 config carrying one was edited down from 5
 * (its blobs would be read unbound), an encrypted version 5 config without one was stripped. (A
 * version 5 config saying unencrypted but carrying a MAC is refused by checkConfigMac, after the
 * passphrase check has said what it says of a drive switched to unencrypted.)
 */
function checkMacField(cfg: DriveConfig, drivePath: string): void {
  const has = (cfg as { mac?: unknown }).mac !== undefined;
  const wanted = cfg.version >= 5 && cfg.encryption !== null;
  if (cfg.version >= 5 && cfg.encryption === null) return;
  if (has === wanted && (!has || (typeof cfg.mac === 'string' && /^[0-9a-f]{64}$/.test(cfg.mac)))) return;
  const problem = !has
    ? 'it is version 5 and encrypted but carries no MAC'
    : cfg.version < 5
      ? `it says version ${cfg.version} but carries a version 5 MAC (its version was edited down)`
      : 'its MAC is malformed';
  throw new EngineError(
    `config of drive ${drivePath} is refused: ${problem}; nothing was read or written. Its config is damaged or ` +
      `was tampered with: restore the config from a copy`,
    'BAD_CONFIG',
  );
}

/** JSON with every object's keys sorted, so the MAC does not depend on how the file was laid out. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/**
 * The config's MAC (version 5): keyed BLAKE3, under a subkey of the master key for
 * CONFIG_MAC_DOMAIN, of the canonical JSON of every field but `mac`.
 */
export function configMac(masterKey: Buffer, cfg: DriveConfig): string {
  const rest: Record<string, unknown> = { ...cfg };
  delete rest.mac;
  return keyedContentId(deriveSubkey(CONFIG_MAC_DOMAIN, masterKey), Buffer.from(canonicalJson(rest), 'utf8'));
}

/**
 * Refuses a version 5 config whose MAC does not verify under the master key just unwrapped: a
 * field edited (format version, chunker, pack size, kind, tape geometry, created, ...) by someone
 * without the key. Called before anything else of the drive is read.
 */
export function checkConfigMac(cfg: DriveConfig, masterKey: Buffer | null, drivePath: string): void {
  if (cfg.version < 5) return;
  if (masterKey === null) {
    if (cfg.mac === undefined) return;
    throw new EngineError(
      `drive ${drivePath} says it is unencrypted ("encryption": null in its config) but its config carries the MAC ` +
        `of an encrypted drive: refusing to use it, nothing was read or written. Its config was tampered with to ` +
        `switch encryption off; restore the config from a copy and give the drive's passphrase`,
      'BAD_CONFIG',
    );
  }
  const want = Buffer.from(configMac(masterKey, cfg), 'hex');
  const got = Buffer.from(cfg.mac ?? '', 'hex');
  if (got.length === want.length && timingSafeEqual(got, want)) return;
  throw new EngineError(
    `config of drive ${drivePath} failed authentication (its MAC does not match: a field was edited, or the ` +
      `config belongs to another drive); refusing to use it, nothing was read or written. Restore the config from a copy`,
    'BAD_CONFIG',
  );
}

/** The encryption block, checked before any key is derived from it (a forged one must cost nothing). */
function checkEncryption(cfg: DriveConfig, drivePath: string): void {
  const e = cfg.encryption as unknown;
  if (e === null) return;
  const enc = (e ?? {}) as { algorithm?: unknown; kdf?: unknown; masterKey?: unknown };
  const problem =
    enc.algorithm !== 'aes-256-gcm'
      ? `unknown cipher ${JSON.stringify(enc.algorithm)}`
      : cfg.version === 3
        ? enc.kdf !== undefined || enc.masterKey !== undefined
          ? 'a wrapped key in a version 3 config (its keys are in keys/)'
          : null
        : cfg.version >= 4 && enc.kdf === undefined && enc.masterKey === undefined
          ? null
          : wrappedKeyProblem(enc.kdf, enc.masterKey);
  if (problem) {
    throw new EngineError(
      `drive ${drivePath} has encryption settings baton refuses: ${problem}; no key was derived and nothing was ` +
        `read or written. Its config is damaged or was tampered with: restore the config from a copy`,
      'BAD_CONFIG',
    );
  }
}

/** What is wrong with a wrapped key and its scrypt parameters as read from a drive, or null. */
export function wrappedKeyProblem(kdf: unknown, masterKey: unknown): string | null {
  if (typeof masterKey !== 'string' || Buffer.from(masterKey, 'base64').length !== WRAPPED_KEY_LENGTH) {
    return 'a malformed wrapped master key';
  }
  return kdfProblem(kdf);
}
