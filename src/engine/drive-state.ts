/**
 * What this machine remembers of each drive it has used, as borg's security directory does: the
 * drive's encryption state, a fingerprint of its key (never the key) and the newest snapshot time
 * it has seen. A drive is trusted on first use; afterwards a drive with the same ID whose
 * encryption was switched off, whose key changed, or whose newest snapshot went back in time is
 * refused: someone who can write the drive must not be able to downgrade it or roll it back
 * unnoticed. One JSON file per drive ID under the state directory (docs/repository-format.md).
 */
import { metadataAad } from './config';
import { createHmac } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from './fsutil';
import { decodeJson } from './blob';
import { EngineError, errnoCode } from './errors';

export const STATE_VERSION = 1;

export interface DriveState {
  version: typeof STATE_VERSION;
  drive: string;
  /** where the drive was last seen (for the reader of the file; not checked) */
  path: string;
  firstSeen: string;
  encrypted: boolean;
  /** HMAC-SHA256(master key, "baton-key-fingerprint-v1"), hex; null when unencrypted */
  keyFingerprint: string | null;
  /** the highest repository format version seen on the drive (absent in records made before it was kept) */
  formatVersion?: number;
  /** snapshots seen on the drive, ID -> time, so each is decrypted once */
  snapshots: Record<string, string>;
  /** the high-water mark: newest snapshot time ever seen on the drive (null: none yet) */
  newest: string | null;
}

/** What the state needs of a drive; structural, so drive.ts imports this module and not the reverse. */
export interface StatefulDrive {
  readonly id: string;
  readonly path: string;
  readonly key: Buffer | null;
  readonly config: { readonly version: number };
  readonly stateDir: string;
  list(dir: 'snapshots'): Promise<string[]>;
  readFile(dir: 'snapshots', name: string): Promise<Buffer>;
}

/**
 * $BATON_STATE_DIR, else $XDG_STATE_HOME/baton/drives, else ~/.local/state/baton/drives. Not under
 * ~/.cache: caches may be deleted at will, and deleting this makes every drive a first use again.
 */
export function defaultStateDir(): string {
  if (process.env.BATON_STATE_DIR) return process.env.BATON_STATE_DIR;
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'baton', 'drives');
}

export function keyFingerprint(key: Buffer | null): string | null {
  return key === null ? null : createHmac('sha256', key).update('baton-key-fingerprint-v1').digest('hex');
}

function stateFile(drive: StatefulDrive): string {
  return join(drive.stateDir, `${drive.id}.json`);
}

const FORGET_HINT = (drive: StatefulDrive): string =>
  `if the change is intended (the drive was re-created or restored from a copy on purpose), make this machine ` +
  `forget what it remembers of the drive: delete ${stateFile(drive)} (the next use trusts the drive as it is then)`;

function stateError(drive: StatefulDrive, what: string, err: unknown): EngineError {
  return new EngineError(
    `cannot ${what} this machine's record of drive ${drive.path} in ${drive.stateDir} (${(err as Error).message}); ` +
      `nothing was written to the drive. Make the directory writable, or point BATON_STATE_DIR at one that is`,
    'DRIVE_STATE',
  );
}

export async function loadState(drive: StatefulDrive): Promise<DriveState | null> {
  let text: string;
  try {
    text = await readFile(stateFile(drive), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw stateError(drive, 'read', err);
  }
  try {
    const s = JSON.parse(text) as DriveState;
    if (s.version === STATE_VERSION && s.drive === drive.id && typeof s.encrypted === 'boolean') return s;
  } catch {
    // fall through: a damaged record protects nothing and must not be silently replaced
  }
  throw new EngineError(
    `this machine's record of drive ${drive.path} (${stateFile(drive)}) is damaged; nothing was written to the drive. ` +
      `Delete that file to trust the drive as it is now`,
    'DRIVE_STATE',
  );
}

async function saveState(drive: StatefulDrive, state: DriveState): Promise<void> {
  try {
    await mkdir(drive.stateDir, { recursive: true, mode: 0o700 });
    // atomic (temp file, rename): node processes sharing a home may write the same drive's record
    await atomicWrite(stateFile(drive), Buffer.from(JSON.stringify(state, null, 1) + '\n'));
  } catch (err) {
    throw stateError(drive, 'write', err);
  }
}

/** The time of a snapshot file, or null when it does not decrypt or parse (verify reports that, not open). */
export function snapshotTime(drive: StatefulDrive, data: Uint8Array): string | null {
  try {
    const v = decodeJson(drive.key, data, 'snapshot', metadataAad(drive.config.version, 'snapshot'));
    const t = typeof v === 'object' && v !== null ? (v as { time?: unknown }).time : undefined;
    return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? t : null;
  } catch {
    return null;
  }
}

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(b) > Date.parse(a) ? b : a;

/** The snapshots on the drive now, ID -> time, reading only those the record does not know yet. */
async function snapshotsNow(drive: StatefulDrive, known: Record<string, string>): Promise<Record<string, string>> {
  const now: Record<string, string> = {};
  for (const id of await drive.list('snapshots')) {
    if (known[id] !== undefined) {
      now[id] = known[id];
      continue;
    }
    const t = snapshotTime(drive, await drive.readFile('snapshots', id));
    if (t !== null) now[id] = t;
  }
  return now;
}

function newestOf(snapshots: Record<string, string>): string | null {
  return Object.values(snapshots).reduce<string | null>((a, t) => later(a, t), null);
}

/** Refuses a known drive whose encryption state or key is not what this machine saw before. */
function checkEncryption(drive: StatefulDrive, state: DriveState): void {
  const encrypted = drive.key !== null;
  if (state.encrypted !== encrypted) {
    throw new EngineError(
      `drive ${drive.path} (id ${drive.id}) is ${encrypted ? 'encrypted' : 'unencrypted'} now, but this machine ` +
        `saw it ${state.encrypted ? 'encrypted' : 'unencrypted'} before: refusing to use it, nothing was written. ` +
        `Its config may have been tampered with; ${FORGET_HINT(drive)}`,
      'DRIVE_CHANGED',
    );
  }
  if (state.keyFingerprint !== keyFingerprint(drive.key)) {
    throw new EngineError(
      `drive ${drive.path} (id ${drive.id}) has a different encryption key than when this machine saw it before: ` +
        `refusing to use it, nothing was written. Its config may have been replaced; ${FORGET_HINT(drive)}`,
      'DRIVE_CHANGED',
    );
  }
}

/**
 * Refuses a known drive whose config says a lower format version than the 5 or later this machine
 * has seen there: versions only go up (2 to 3 when the config's key is removed; never down), and a
 * config edited down from 5 would have its blobs read unbound. Checked before the drive's snapshots
 * are read.
 */
function checkFormatVersion(drive: StatefulDrive, state: DriveState): void {
  const seen = state.formatVersion;
  if (seen === undefined || seen < 5 || drive.config.version >= seen) return;
  throw new EngineError(
    `drive ${drive.path} (id ${drive.id}) says repository format version ${drive.config.version}, but this ` +
      `machine saw it at version ${seen}: refusing to use it, nothing was read or written. Its config's version ` +
      `may have been edited down to read its data unauthenticated; restore the config from a copy, or ${FORGET_HINT(drive)}`,
    'DRIVE_CHANGED',
  );
}

/**
 * Opening a drive: trust on first use (record it), else check it against the record and raise the
 * high-water marks (format version, newest snapshot). A drive whose newest snapshot is older than the newest this machine has seen
 * there was rolled back (forget always keeps each group's newest snapshot, so it never lowers it).
 */
export async function checkDriveState(drive: StatefulDrive): Promise<void> {
  const state = await loadState(drive);
  if (state !== null) checkFormatVersion(drive, state);
  if (state !== null) checkEncryption(drive, state);
  const snapshots = await snapshotsNow(drive, state?.snapshots ?? {});
  const newest = newestOf(snapshots);
  if (state?.newest && (newest === null || Date.parse(newest) < Date.parse(state.newest))) {
    throw new EngineError(
      `drive ${drive.path} (id ${drive.id}) was rolled back: its newest snapshot is ${newest ?? 'none'}, but this ` +
        `machine has seen one from ${state.newest} there; refusing to use it, nothing was written. Snapshots or ` +
        `index files may have been removed or replaced with older copies; ${FORGET_HINT(drive)}`,
      'DRIVE_CHANGED',
    );
  }
  // the snapshots present now replace the list (forgotten ones drop out); the mark only goes up
  await update(drive, (s) => ({
    ...s,
    formatVersion: Math.max(drive.config.version, s.formatVersion ?? 0),
    snapshots,
    newest: later(s.newest, newest),
  }));
}

/**
 * Read-modify-write of the record. Re-reading just before writing keeps what another process
 * recorded meanwhile; the high-water mark is only merged upwards, so a lost race can only forget
 * a snapshot's time (read again next time), never raise a false alarm.
 */
async function update(drive: StatefulDrive, change: (s: DriveState) => DriveState): Promise<void> {
  const current = (await loadState(drive)) ?? {
    version: STATE_VERSION,
    drive: drive.id,
    path: drive.path,
    firstSeen: new Date().toISOString(),
    encrypted: drive.key !== null,
    keyFingerprint: keyFingerprint(drive.key),
    formatVersion: drive.config.version,
    snapshots: {},
    newest: null,
  };
  await saveState(drive, { ...change(current), path: drive.path });
}

/** A snapshot this process committed: raise the high-water mark at once, not at the next open. */
export async function recordSnapshot(drive: StatefulDrive, id: string, data: Uint8Array): Promise<void> {
  const time = snapshotTime(drive, data);
  if (time === null) return;
  await update(drive, (s) => ({ ...s, snapshots: { ...s.snapshots, [id]: time }, newest: later(s.newest, time) }));
}

/** A snapshot this process removed (forget): the mark may go down to the newest one left. */
export async function recordRemoval(drive: StatefulDrive, id: string): Promise<void> {
  await update(drive, (s) => {
    const snapshots = { ...s.snapshots };
    const time = snapshots[id];
    delete snapshots[id];
    return { ...s, snapshots, newest: time !== undefined && time === s.newest ? newestOf(snapshots) : s.newest };
  });
}

/** Forgets the drive (tests and tooling; users delete the file the refusal names). */
export async function forgetDriveState(drive: StatefulDrive): Promise<void> {
  await unlink(stateFile(drive)).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
}
