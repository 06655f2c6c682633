/**
 * The drive's config file: format version first, kind, chunker/pack parameters and, in version 2,
 * the first wrapped key (key `config`; more keys live in keys/, see keys.ts). Version 3 is a
 * config whose key was removed: its keys are all in keys/.
 */
import { kdfProblem, objectAad } from './crypto';
import type { KdfParams } from './crypto';
import { AVG_CHUNK, MAX_CHUNK, MIN_CHUNK } from './chunker';
import { EngineError } from './errors';

/**
 * The newest format version this baton reads and the one `init` writes (4: index files and
 * snapshots sealed with their type as associated data, its first key in the config or keys/).
 */
export const FORMAT_VERSION = 4;
export const INIT_VERSION = 4;
/** The versions this baton reads and writes, each in its own format (2 and 3: unbound metadata). */
export const READ_VERSIONS: readonly number[] = [2, 3, 4];

/** The associated-data domain of each metadata object of version 4 (docs/repository-format.md). */
export const METADATA_DOMAINS = { index: 'baton index v4', snapshot: 'baton snapshot v4' } as const;

/**
 * The associated data an index file or snapshot of a drive of `version` is sealed with: its type's
 * domain from version 4, none before. Not its ID: that is the hash of the sealed bytes.
 */
export function metadataAad(version: number, type: keyof typeof METADATA_DOMAINS): Buffer {
  return version >= 4 ? objectAad(METADATA_DOMAINS[type]) : Buffer.alloc(0);
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
  /** kdf and masterKey: version 2 only (the key `config`) */
  encryption: null | { algorithm: 'aes-256-gcm'; kdf?: KdfParams; masterKey?: string };
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
  checkEncryption(cfg, drivePath);
  return cfg;
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
        : cfg.version === 4 && enc.kdf === undefined && enc.masterKey === undefined
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
