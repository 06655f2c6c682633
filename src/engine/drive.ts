/**
 * A drive: its config (kind, format version, wrapped key), its pack store (directory or tape)
 * and its catalog files (index, snapshots, refs, locks) written atomically beside the data.
 */
import { mkdir, readFile, readdir, unlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { atomicWrite } from './fsutil';
import { seal } from './crypto';
import { deriveKek, newCalibratedKdfParams } from './kdf';
import { checkDriveState, defaultStateDir, recordRemoval, recordSnapshot } from './drive-state';
import { CHUNKER_PARAMS, DEFAULT_PACK_SIZE, INIT_VERSION, INIT_VERSIONS, MIN_VOLUME_SIZE, parseConfig } from './config';
import { UNKEYED, checkGivenContentKey, contentIds, openContentKey, sealContentKey } from './content-key';
import type { ContentIds } from './content-key';
import { checkConfigMac, configMac } from './config';
import { CONFIG_KEY, readKeys, unlockKeys } from './key-files';
import type { DriveConfig, DriveKind } from './config';
import { DriveFullError, EngineError, WrongPasswordError, errnoCode } from './errors';
import { DirectoryPackStore } from './drive-directory';
import { TapePackStore, VOLUME_LABEL_SIZE } from './drive-tape';
import type { PackStore } from './drive-store';
import { MAX_ZSTD_LEVEL, ZSTD_LEVEL } from './blob';
import { SYSTEM_MOUNTS, unmountedMountPoint } from './mount-points';
import type { MountSources } from './mount-points';

export type CatalogDir = 'index' | 'snapshots' | 'refs' | 'locks' | 'keys';

export interface CreateOptions {
  kind: DriveKind;
  /** tape kind: bytes per volume (default 256 MiB) and number of volumes (default 64) */
  volumeSize?: number;
  volumes?: number;
  /** false only when an unencrypted drive is explicitly wanted */
  encryption: boolean;
  /** scrypt cost; tests lower it (default: calibrated to about 0.5 s on this machine) */
  kdfN?: number;
  packSize?: number;
  /** zstd level for data and trees, 1 (fastest) to 19 (smallest); default ZSTD_LEVEL (2) */
  compressionLevel?: number;
  /**
   * The repository format version to write: INIT_VERSION (6) unless told; 4 or 5 make a drive an
   * older release reads (tests of version 4 and 5 drives use them too)
   */
  formatVersion?: number;
  /**
   * Version 6, encrypted: the cluster's content key (32 bytes), taken from an opened drive of the
   * cluster (`drive.contentKey`) or clusterContentKey(); absent: a new random one, whose drive then
   * deduplicates with no other drive (a cluster of one). Ignored for unencrypted drives.
   */
  contentKey?: Buffer;
  /**
   * Initialise only into an existing empty directory, never creating the path: a backup that
   * initialises its drive (initOnFirstBackup) must not make a missing drive on the root disk.
   */
  existingDirectory?: boolean;
  /** where configured and mounted file systems are read (default: /etc/fstab, /proc/self/mountinfo) */
  mounts?: MountSources;
}

export interface OpenOptions {
  /** given (and not empty): the drive must be encrypted, whatever its config says */
  password?: string;
  /** with `encryption: true`, the drive must be encrypted too */
  create?: CreateOptions;
  /** where this machine remembers the drives it has seen (default: defaultStateDir()) */
  stateDir?: string;
}

/**
 * Why an unencrypted drive must be refused, or null when one is acceptable. A passphrase means the
 * caller expects encryption, unless it asked for an unencrypted drive in so many words
 * (`create.encryption: false`, the cluster's `repository.encryption: false`).
 */
function encryptionExpected(opts: OpenOptions): string | null {
  if (opts.create?.encryption === true) return 'encryption is configured';
  if (opts.create?.encryption === false) return null;
  return opts.password ? 'a passphrase was given' : null;
}

export class Drive {
  private constructor(
    readonly path: string,
    readonly config: DriveConfig,
    readonly key: Buffer | null,
    readonly packs: PackStore,
    /** this machine's record of drives seen (drive-state.ts) */
    readonly stateDir: string,
    /** the key the password opened (keys.ts: `config` or a keys/ file's ID); null unencrypted */
    readonly keyId: string | null = null,
    /** version 6, encrypted: the content key (content-key.ts); null: IDs and chunker unkeyed */
    readonly contentKey: Buffer | null = null,
  ) {
    this.ids = contentKey === null ? UNKEYED : contentIds(contentKey);
  }

  /** How this drive cuts and names chunks: keyed by its content key, or unkeyed (formats 2-5, no encryption). */
  readonly ids: ContentIds;

  get id(): string {
    return this.config.id;
  }

  get kind(): DriveKind {
    return this.config.kind;
  }

  /** Largest pack the writer should build on this drive. */
  /** zstd level this drive's data is compressed with (recorded at init) */
  get compressionLevel(): number {
    return this.config.compression.level;
  }

  get packTarget(): number {
    const t = this.config.tape;
    if (!t) return this.config.packSize;
    return Math.min(this.config.packSize, Math.floor((t.volumeSize - VOLUME_LABEL_SIZE) / 2));
  }

  static async open(path: string, opts: OpenOptions = {}): Promise<Drive> {
    const root = resolve(path);
    let text: string;
    try {
      text = await readFile(join(root, 'config'), 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      if (opts.create) return Drive.init(root, opts.create, opts.password, opts.stateDir);
      throw new EngineError(
        `no repository at ${root}: no Baton drive there (no config file), so nothing was read or written. ` +
          `Run \`baton repo init --drive ${root}\` first, or mount the drive's storage if it should be there`,
        'NO_DRIVE',
      );
    }
    const config = parseConfig(text, root);
    const unlocked = await Drive.unlock(root, config, opts);
    // version 5: the config is authenticated by the key just unwrapped, before anything else is read
    checkConfigMac(config, unlocked?.key ?? null, root);
    // (parseConfig saw to it that a v6 encrypted config has one, and that no older one does)
    const contentKey = unlocked && config.contentKey ? openContentKey(unlocked.key, config.contentKey, root) : null;
    if (!unlocked && config.contentKey !== undefined) strayContentKey(root);
    const drive = new Drive(
      root,
      config,
      unlocked?.key ?? null,
      Drive.store(root, config),
      opts.stateDir ?? defaultStateDir(),
      unlocked?.id ?? null,
      contentKey,
    );
    await checkDriveState(drive);
    return drive;
  }

  /**
   * The master key and the key that opened it (null: unencrypted), refusing an unencrypted drive
   * the caller expects encrypted.
   */
  private static async unlock(
    root: string,
    config: DriveConfig,
    opts: OpenOptions,
  ): Promise<{ key: Buffer; id: string } | null> {
    if (!config.encryption) {
      const why = encryptionExpected(opts);
      if (why === null) return null;
      throw new EngineError(
        `drive ${root} says it is unencrypted ("encryption": null in its config) but ${why}: refusing to use it, ` +
          `nothing was read or written. Its config may have been tampered with to make backups go in clear text; ` +
          `check it against a copy. To use a drive that really is unencrypted, give no passphrase ` +
          `(unset BATON_PASSWORD, drop --password-file; in the cluster, repository.encryption: false)`,
        'UNENCRYPTED_DRIVE',
      );
    }
    if (opts.password === undefined) {
      throw new EngineError(
        `drive ${root} is encrypted and no password was given; set BATON_PASSWORD or use --password-file`,
        'NO_PASSWORD',
      );
    }
    const keys = await readKeys(
      root,
      config,
      () => listCatalog(root, 'keys'),
      (name) => readFile(join(root, 'keys', name)),
    );
    const unlocked = await unlockKeys(root, keys, opts.password);
    if (unlocked === null) throw new WrongPasswordError(root);
    return unlocked;
  }

  private static store(root: string, config: DriveConfig): PackStore {
    return config.tape
      ? new TapePackStore(root, config.id, config.tape.volumeSize, config.tape.volumes)
      : new DirectoryPackStore(root);
  }

  static async init(path: string, create: CreateOptions, password?: string, stateDir?: string): Promise<Drive> {
    const root = resolve(path);
    try {
      await stat(join(root, 'config'));
      throw new EngineError(`drive ${root} is already initialised; use it as it is`, 'DRIVE_EXISTS');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    await checkInitTarget(root, create);
    if (create.kind !== 'directory' && create.kind !== 'tape') {
      throw new EngineError(`unknown drive kind ${String(create.kind)}; use directory or tape`, 'BAD_KIND');
    }
    const level = create.compressionLevel ?? ZSTD_LEVEL;
    if (!Number.isInteger(level) || level < 1 || level > MAX_ZSTD_LEVEL) {
      throw new EngineError(
        `compression level ${String(level)} is out of range; use 1 (fastest) to ${MAX_ZSTD_LEVEL} (smallest), default ${ZSTD_LEVEL}`,
        'BAD_OPTION',
      );
    }
    if (create.encryption && !password) {
      throw new EngineError(
        `a password is needed to create encrypted drive ${root}; set BATON_PASSWORD or use --password-file`,
        'NO_PASSWORD',
      );
    }
    const version = create.formatVersion ?? INIT_VERSION;
    if (!INIT_VERSIONS.includes(version)) {
      throw new EngineError(
        `repository format version ${String(version)} cannot be initialised; use ${INIT_VERSION} (default), or ` +
          `${INIT_VERSIONS.filter((v) => v !== INIT_VERSION).join(' or ')} for an older baton`,
        'BAD_OPTION',
      );
    }
    const given = create.contentKey === undefined ? undefined : checkGivenContentKey(create.contentKey, root);
    const config: DriveConfig = {
      version,
      id: randomBytes(16).toString('hex'),
      kind: create.kind,
      created: new Date().toISOString(),
      chunker: { ...CHUNKER_PARAMS },
      packSize: create.packSize ?? DEFAULT_PACK_SIZE,
      compression: { algorithm: 'zstd', level },
      encryption: null,
    };
    if (create.kind === 'tape') {
      const volumeSize = create.volumeSize ?? 256 * 1024 * 1024;
      if (volumeSize < MIN_VOLUME_SIZE) {
        throw new EngineError(
          `tape volume size ${volumeSize} is too small: a volume must hold the largest chunk; use at least ${MIN_VOLUME_SIZE}`,
          'BAD_VOLUME_SIZE',
        );
      }
      config.tape = { volumeSize, volumes: create.volumes ?? 64 };
    }
    const { key, contentKey } =
      create.encryption && password ? await newKeys(config, create, password, given) : NO_KEYS;
    await mkdir(root, { recursive: true });
    for (const d of ['index', 'snapshots', 'refs', 'locks', create.kind === 'tape' ? 'volumes' : 'data']) {
      await mkdir(join(root, d), { recursive: true });
    }
    await atomicWrite(join(root, 'config'), Buffer.from(JSON.stringify(config, null, 2) + '\n'));
    const drive = new Drive(
      root,
      config,
      key,
      Drive.store(root, config),
      stateDir ?? defaultStateDir(),
      key ? CONFIG_KEY : null,
      contentKey,
    );
    await checkDriveState(drive); // first use: this machine remembers the drive from its birth
    return drive;
  }

  async writeFile(dir: CatalogDir, name: string, data: Buffer): Promise<void> {
    try {
      await atomicWrite(join(this.path, dir, name), data);
      // the snapshot is committed whatever happens next: a record this machine could not write
      // only leaves the mark lower until the next open reads the snapshot
      if (dir === 'snapshots') await recordSnapshot(this, name, data).catch(() => undefined);
    } catch (err) {
      if (errnoCode(err) === 'ENOSPC' || errnoCode(err) === 'EDQUOT') {
        throw new DriveFullError(this.path, `no space left writing ${dir}/${name.slice(0, 12)}`);
      }
      throw err;
    }
  }

  async readFile(dir: CatalogDir, name: string): Promise<Buffer> {
    return readFile(join(this.path, dir, name));
  }

  async list(dir: CatalogDir): Promise<string[]> {
    return listCatalog(this.path, dir);
  }

  async remove(dir: CatalogDir, name: string): Promise<void> {
    try {
      await unlink(join(this.path, dir, name));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    if (dir === 'snapshots') await recordRemoval(this, name).catch(() => undefined);
  }
}

const NO_KEYS = { key: null, contentKey: null } as const;

/**
 * A new encrypted drive's keys, put in its config: a random master key wrapped under the passphrase
 * (key `config`), from version 6 the content key (`given`, else random) sealed under it, and from
 * version 5 the MAC over the lot.
 */
async function newKeys(
  config: DriveConfig,
  create: CreateOptions,
  password: string,
  given: Buffer | undefined,
): Promise<{ key: Buffer; contentKey: Buffer | null }> {
  const kdf = await newCalibratedKdfParams(create.kdfN);
  const key = randomBytes(32);
  const kek = await deriveKek(password, kdf);
  config.encryption = { algorithm: 'aes-256-gcm', kdf, masterKey: seal(kek, key).toString('base64') };
  let contentKey: Buffer | null = null;
  if (config.version >= 6) {
    contentKey = given ?? randomBytes(32);
    config.contentKey = sealContentKey(key, contentKey);
  }
  if (config.version >= 5) config.mac = configMac(key, config);
  return { key, contentKey };
}

/** Refuses an unencrypted config that carries a sealed content key: its encryption was switched off. */
function strayContentKey(root: string): never {
  throw new EngineError(
    `drive ${root} says it is unencrypted ("encryption": null in its config) but its config carries the sealed ` +
      `content key of an encrypted drive: refusing to use it, nothing was read or written. Its config was tampered ` +
      `with to switch encryption off; restore the config from a copy and give the drive's passphrase`,
    'BAD_CONFIG',
  );
}

/** The names in a catalog directory of a drive, without temp files, sorted ([] when it is absent). */
async function listCatalog(root: string, dir: CatalogDir): Promise<string[]> {
  try {
    return (await readdir(join(root, dir))).filter((n) => !n.includes('.tmp-')).sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Refuses to initialise a drive where its storage is not: under a mount point of /etc/fstab that
 * is not mounted (the drive would land on the disk underneath), or, for a backup's own init
 * (`existingDirectory`), at a path that does not exist or holds files.
 */
async function checkInitTarget(root: string, create: CreateOptions): Promise<void> {
  const unmounted = await unmountedMountPoint(root, create.mounts ?? SYSTEM_MOUNTS);
  if (unmounted !== null) {
    throw new EngineError(
      `drive path ${root} is on ${unmounted}, a mount point in /etc/fstab that is not mounted: refusing to ` +
        `initialise a drive there (it would land on the disk underneath); nothing was written. Mount ${unmounted}, then retry`,
      'MISSING_DRIVE',
    );
  }
  if (!create.existingDirectory) return;
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
    throw new EngineError(
      `drive path ${root} does not exist (or is not a directory): a backup initialises a drive only in an existing ` +
        `empty directory, and creates nothing here. Mount the drive's storage, or create the directory, then retry`,
      'MISSING_DRIVE',
    );
  }
  if (entries.length > 0) {
    throw new EngineError(
      `drive path ${root} holds files but no Baton drive (no config file): a backup initialises a drive only in an ` +
        `empty directory; nothing was written. Check that the right storage is mounted there, or run ` +
        `\`baton repo init --drive ${root}\` to initialise it as it is`,
      'MISSING_DRIVE',
    );
  }
}
