/**
 * Everything the engine reads from a drive is checked here before it is used: IDs must be the hex
 * the format defines, volumes, offsets and lengths non-negative integers within their pack's or
 * volume's bounds, and parsed JSON (index files, pack trailers, snapshots, trees, refs,
 * checkpoints) must have the documented shape. Anyone who can write to a drive can write anything
 * there, and with the key can even make it authenticate; what fails a check here is refused with a
 * CorruptionError naming the object and the file, before anything is opened, unlinked or
 * allocated from it. The path builders (drive-directory.ts, drive-tape.ts) check again
 * (`packPathId`), so a check missed here still cannot name a file outside the drive.
 *
 * The checks are hand-written, not a schema library: trees are decoded on the restore's and the
 * prune's hot path, and these cost a few hundred nanoseconds per node (docs/repository-format.md).
 */
import { CorruptionError, EngineError } from './errors';
import { isId } from './known-ids';
import { OVERHEAD } from './crypto';

/** Largest data blob: the chunker's maximum chunk (chunker.ts MAX_CHUNK; a test pins them equal). */
export const MAX_DATA_BLOB = 8 * 1024 * 1024;
/**
 * Largest tree blob (and index file, snapshot): V8's longest string is just under 2^29 UTF-16 units
 * and the JSON is parsed from one, so nothing longer can be read anyway. A directory of a million
 * entries takes some 300-400 MB.
 */
export const MAX_TREE_BLOB = 2 ** 29;
export const MAX_BLOB = Math.max(MAX_DATA_BLOB, MAX_TREE_BLOB);
export const MAX_JSON = 2 ** 29;
/** Offsets and lengths in packs are kept as uint32 (index-file.ts). */
export const MAX_PACK_LENGTH = 2 ** 32 - 1;
/** "BATONPK1" before the first blob; trailer length and "BATONPKE" after the trailer. */
export const PACK_HEAD = 8;
export const PACK_TAIL = 12;

/** Throws for a problem found in what is being read; `problem` completes a sentence about it. */
export type Fail = (problem: string) => never;

/** A Fail for `file` (e.g. `index file <id>`) on the drive at `drivePath`: a CorruptionError. */
export function onDrive(drivePath: string, file: string, pack?: string, blob?: string): Fail {
  return (problem) => {
    throw new CorruptionError(
      `${file} on drive ${drivePath} ${problem}; refused, nothing it names was opened, written or deleted. ` +
        `The drive is damaged or was tampered with: run \`baton repo verify --drive ${drivePath}\``,
      pack,
      blob,
    );
  };
}

/** JSON.stringify, shortened, for a bad value in a message. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Defence in depth for the path builders: `id` if it is an ID (64 lowercase hex digits), else a
 * CorruptionError; so no index, checkpoint or ref can make a pack path leave the drive.
 */
export function packPathId(id: unknown, drivePath: string): string {
  if (!isId(id)) {
    throw new CorruptionError(
      `refusing to build a path on drive ${drivePath} from pack ID ${show(id)}: not 64 lowercase hex digits; ` +
        `nothing was opened, written or deleted. Run \`baton repo verify --drive ${drivePath}\``,
    );
  }
  return id;
}

export function isUint(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

/** An integer from `min` to `max` (both at least 0). */
export function isUintIn(v: unknown, min: number, max: number): v is number {
  return isUint(v, max) && v >= min;
}

function object(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`has ${what} that is not an object`);
  return v as Record<string, unknown>;
}

function array(v: unknown, what: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) return fail(`has ${what} that is not a list`);
  return v;
}

function id(v: unknown, what: string, fail: Fail): string {
  if (!isId(v)) return fail(`names ${what} ${show(v)}, which is not an ID (64 lowercase hex digits)`);
  return v;
}

function ids(v: unknown, what: string, fail: Fail): void {
  for (const x of array(v, `a ${what} list`, fail)) id(x, what, fail);
}

function uint(v: unknown, what: string, max: number, fail: Fail): number {
  if (!isUint(v, max)) return fail(`gives ${what} as ${show(v)}, not an integer from 0 to ${max}`);
  return v;
}

function string(v: unknown, what: string, fail: Fail): string {
  if (typeof v !== 'string') return fail(`has ${what} ${show(v)} that is not a string`);
  return v;
}

function strings(v: unknown, what: string, fail: Fail): void {
  for (const x of array(v, what, fail)) string(x, what, fail);
}

const DRIVE_ID = /^[0-9a-f]{32}$/;

function driveId(v: unknown, what: string, fail: Fail): void {
  if (typeof v !== 'string' || !DRIVE_ID.test(v)) fail(`names ${what} ${show(v)}, not a drive ID (32 hex digits)`);
}

/** Where a drive's packs may lie: tape packs in a volume after its label, directory packs anywhere. */
export interface PackBounds {
  tape?: { volumeSize: number; volumes: number; labelSize: number };
}

/** An index file's JSON (docs/repository-format.md "Index files"). */
export function checkIndexFile(v: unknown, bounds: PackBounds, fail: Fail): void {
  const o = object(v, 'a body', fail);
  if (o.version !== 1) fail(`has version ${show(o.version)}, not 1`);
  const packs = array(o.packs, 'a pack list', fail);
  for (let i = 0; i < packs.length; i++) checkIndexPack(packs[i], i, bounds, fail);
  if (o.supersedes !== undefined) ids(o.supersedes, 'superseded index file', fail);
}

function checkIndexPack(v: unknown, i: number, bounds: PackBounds, fail: Fail): void {
  const p = object(v, `pack ${i}`, fail);
  const pack = id(p.id, `pack ${i}`, fail);
  const length = uint(p.length, `the length of pack ${pack}`, MAX_PACK_LENGTH, fail);
  if (length < PACK_HEAD + PACK_TAIL) fail(`gives pack ${pack} the length ${length}, shorter than an empty pack`);
  const t = bounds.tape;
  if (t) {
    const volume = uint(p.volume, `the volume of pack ${pack}`, t.volumes, fail);
    const offset = uint(p.offset, `the volume offset of pack ${pack}`, t.volumeSize, fail);
    if (volume < 1) fail(`places pack ${pack} in volume 0 (volumes count from 1)`);
    if (offset < t.labelSize || offset + length > t.volumeSize) {
      fail(
        `places pack ${pack} (${length} bytes) at offset ${offset}, outside its volume's data (${t.labelSize} to ${t.volumeSize})`,
      );
    }
  } else if (p.volume !== undefined || p.offset !== undefined) {
    fail(`gives pack ${pack} a volume position on a directory drive`);
  }
  checkPackBlobs(p.blobs, pack, length - PACK_TAIL, fail);
}

/**
 * A pack's blob list (in an index file or its own trailer): each blob an ID, of a known type, with
 * its stored bytes in [PACK_HEAD, dataEnd) and a plain length no larger than its type allows.
 * Messages are built only on failure: this runs once per blob of every index loaded.
 */
export function checkPackBlobs(v: unknown, pack: string, dataEnd: number, fail: Fail): void {
  const blobs = array(v, `a blob list for pack ${pack}`, fail);
  for (let i = 0; i < blobs.length; i++) {
    const b = blobs[i] as Record<string, unknown>;
    if (typeof b !== 'object' || b === null) fail(`has blob ${i} of pack ${pack} that is not an object`);
    if (!isId(b.id)) id(b.id, `blob ${i} of pack ${pack}`, fail);
    const max = b.type === 'tree' ? MAX_TREE_BLOB : MAX_DATA_BLOB;
    const { offset, length, rawLength } = b;
    if (
      (b.type !== 'data' && b.type !== 'tree') ||
      typeof b.compressed !== 'boolean' ||
      !isUint(rawLength, max) ||
      !isUint(length, rawLength + OVERHEAD) ||
      !isUint(offset, MAX_PACK_LENGTH) ||
      offset < PACK_HEAD ||
      offset + length > dataEnd
    ) {
      badBlob(b, `blob ${String(b.id)} of pack ${pack}`, max, dataEnd, fail);
    }
  }
}

/** Says what is wrong with a blob checkPackBlobs refused. */
function badBlob(b: Record<string, unknown>, of: string, max: number, dataEnd: number, fail: Fail): never {
  if (b.type !== 'data' && b.type !== 'tree') fail(`gives ${of} the unknown type ${show(b.type)}`);
  if (typeof b.compressed !== 'boolean') fail(`gives ${of} no compressed flag`);
  const raw = uint(b.rawLength, `the plain length of ${of}`, max, fail);
  const length = uint(b.length, `the stored length of ${of}`, raw + OVERHEAD, fail);
  const offset = uint(b.offset, `the offset of ${of}`, MAX_PACK_LENGTH, fail);
  return fail(`places ${of} at ${offset}..${offset + length}, outside the pack's data (${PACK_HEAD} to ${dataEnd})`);
}

/** A snapshot's JSON (docs/repository-format.md "Snapshots"); its version is checked before. */
export function checkSnapshot(v: unknown, fail: Fail): void {
  const s = object(v, 'a body', fail);
  string(s.time, 'the time', fail);
  string(s.hostname, 'the hostname', fail);
  if (s.app !== undefined) string(s.app, 'the app', fail);
  strings(s.paths, 'a path list', fail);
  id(s.tree, 'the root tree', fail);
  const drives = array(s.drives, 'a drive list', fail);
  for (const d of drives) {
    const o = object(d, 'a drive', fail);
    driveId(o.id, 'a drive', fail);
    string(o.path, 'a drive path', fail);
  }
  if (typeof s.incomplete !== 'boolean') fail(`has no incomplete flag`);
  checkMessages(s.errors, 'errors', fail);
  if (s.warnings !== undefined) checkMessages(s.warnings, 'warnings', fail);
  object(s.stats, 'stats', fail);
}

function checkMessages(v: unknown, what: string, fail: Fail): void {
  for (const e of array(v, `a list of ${what}`, fail)) {
    const o = object(e, `one of its ${what}`, fail);
    string(o.path, `a path in its ${what}`, fail);
    string(o.message, `a message in its ${what}`, fail);
  }
}

/** What a provisional refs file adds: who wrote it, and when it was last refreshed (lock-rules.ts). */
export interface ProvisionalMark {
  /** the backup's ID (its checkpoints') */
  backup: string;
  /** the backup's lock on this drive (`locks/<lock>`) */
  lock: string;
  refreshed: string;
  /** the writer's stale age in seconds; the file expires PROVISIONAL_LIFE times that after `refreshed` */
  staleAfter: number;
}

export interface Refs {
  drive: string;
  packs: string[];
  provisional?: ProvisionalMark;
}

/**
 * refs/<id>: `{"version":1,"snapshot":id,"drive":driveId,"packs":[...]}`, and for a provisional
 * one (a resumed backup pinning its checkpoint's packs) `snapshot` is the file's own random name
 * and `provisional` says whose it is and when it was last refreshed.
 */
export function checkRefs(v: unknown, fail: Fail): Refs {
  const r = object(v, 'a body', fail);
  if (r.version !== 1) fail(`has version ${show(r.version)}, not 1`);
  id(r.snapshot, 'the snapshot', fail);
  driveId(r.drive, 'the drive holding the snapshot', fail);
  ids(r.packs, 'pack', fail);
  if (r.provisional !== undefined) checkProvisional(r.provisional, fail);
  return r as unknown as Refs;
}

function checkProvisional(v: unknown, fail: Fail): void {
  const p = object(v, 'a provisional mark', fail);
  if (typeof p.backup !== 'string' || !/^[0-9a-f]{1,64}$/.test(p.backup)) fail(`has bad backup ID ${show(p.backup)}`);
  if (typeof p.lock !== 'string' || !/^[0-9a-f]{32}$/.test(p.lock)) fail(`has bad lock ID ${show(p.lock)}`);
  string(p.refreshed, 'the refresh time', fail);
  if (Number.isNaN(Date.parse(p.refreshed as string))) fail(`has refresh time ${show(p.refreshed)}, not a date`);
  if (typeof p.staleAfter !== 'number' || !(p.staleAfter > 0)) fail(`has stale age ${show(p.staleAfter)}`);
}

/** Parses a refs file, checking it (see checkRefs). */
export function parseRefs(data: Buffer, name: string, drivePath: string): Refs {
  const fail = onDrive(drivePath, `refs/${name}`);
  if (!isId(name)) fail(`is not named by a snapshot ID`);
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return fail('is not valid JSON');
  }
  return checkRefs(v, fail);
}

const NODE_TYPES = new Set(['file', 'dir', 'symlink', 'fifo', 'char', 'block', 'socket', 'other']);
const NS = /^-?\d{1,24}$/;
const DIGITS = /^\d{1,24}$/;
const U32 = 2 ** 32 - 1;

/** A tree's JSON: `{"nodes": [...]}` (docs/repository-format.md "Trees"). */
export function checkTree(v: unknown, fail: Fail): void {
  const t = object(v, 'a body', fail);
  const nodes = array(t.nodes, 'a node list', fail);
  for (let i = 0; i < nodes.length; i++) checkNode(nodes[i], i, fail);
}

/**
 * One tree node. Written flat, with messages built only on failure: this runs once per entry
 * restored, verified or walked by prune.
 */
export function checkNode(v: unknown, i: number, fail: Fail): void {
  if (typeof v !== 'object' || v === null) fail(`has node ${i} that is not an object`);
  const n = v as Record<string, unknown>;
  if (typeof n.name !== 'string') fail(`has node ${i} without a name`);
  const at = (): string => `node ${show(n.name)}`;
  if (n.rawName !== undefined && typeof n.rawName !== 'string') fail(`has a raw name of ${at()} that is not a string`);
  if (!NODE_TYPES.has(n.type as string)) fail(`gives ${at()} the unknown type ${show(n.type)}`);
  if (!isUint(n.mode, 0o7777) || !isUint(n.uid, U32) || !isUint(n.gid, U32)) {
    fail(`gives ${at()} a mode, uid or gid that is not a small non-negative integer`);
  }
  if (typeof n.mtimeNs !== 'string' || !NS.test(n.mtimeNs)) fail(`gives ${at()} the mtime ${show(n.mtimeNs)}`);
  if (n.size !== undefined && !isUint(n.size, Number.MAX_SAFE_INTEGER))
    uint(n.size, `the size of ${at()}`, Number.MAX_SAFE_INTEGER, fail);
  if (n.inode !== undefined && (typeof n.inode !== 'string' || !DIGITS.test(n.inode)))
    fail(`gives ${at()} a bad inode`);
  if (n.links !== undefined && !isUint(n.links, U32)) uint(n.links, `the link count of ${at()}`, U32, fail);
  if (n.content !== undefined) {
    if (!Array.isArray(n.content)) fail(`has a content list of ${at()} that is not a list`);
    for (const c of n.content as unknown[]) if (!isId(c)) id(c, `content chunk of ${at()}:`, fail);
  }
  if (n.subtree !== undefined && !isId(n.subtree)) id(n.subtree, `the subtree of ${at()} as`, fail);
  checkNodeRest(n, at, fail);
}

/** The rarer fields of a node: symlink targets, device numbers, xattrs. */
function checkNodeRest(n: Record<string, unknown>, at: () => string, fail: Fail): void {
  if (n.target !== undefined && typeof n.target !== 'string') fail(`gives ${at()} a target that is not a string`);
  if (n.rawTarget !== undefined && typeof n.rawTarget !== 'string')
    fail(`gives ${at()} a raw target that is not a string`);
  if (n.rdevMajor !== undefined) uint(n.rdevMajor, `the device major of ${at()}`, U32, fail);
  if (n.rdevMinor !== undefined) uint(n.rdevMinor, `the device minor of ${at()}`, U32, fail);
  if (n.xattrs !== undefined) {
    for (const x of array(n.xattrs, `an xattr list of ${at()}`, fail)) {
      const o = object(x, `an xattr of ${at()}`, fail);
      if (typeof o.name !== 'string' || typeof o.value !== 'string')
        fail(`has an xattr of ${at()} without a name or value`);
    }
  }
}

const HEX_NAME = /^(?:[0-9a-f]{2})*$/;

function hexName(v: unknown, what: string, fail: Fail): void {
  if (typeof v !== 'string' || !HEX_NAME.test(v)) fail(`gives ${what} as ${show(v)}, not the hex of a name`);
}

/** A Fail for a checkpoint: it comes from the caller (the catalog), so the fix is a fresh backup. */
export function onCheckpoint(): Fail {
  return (problem) => {
    throw new EngineError(
      `the checkpoint to resume from ${problem}; it is damaged or not a baton checkpoint, nothing was read ` +
        `or written with it: start a fresh backup instead`,
      'BAD_CHECKPOINT',
    );
  };
}

/** A checkpoint (checkpoint.ts), version 1, from the caller; its version is checked before. */
export function checkCheckpoint(v: unknown, fail: Fail): void {
  const c = v as Record<string, unknown>;
  string(c.backupId, 'the backup ID', fail);
  uint(c.seq, 'the sequence number', Number.MAX_SAFE_INTEGER, fail);
  string(c.time, 'the time', fail);
  string(c.startedAt, 'the start time', fail);
  strings(c.sources, 'a source list', fail);
  if (c.app !== undefined) string(c.app, 'the app', fail);
  for (const f of array(c.frames, 'a frame list', fail)) checkFrame(f, fail);
  if (c.partial !== undefined) {
    const p = object(c.partial, 'a partial file', fail);
    hexName(p.name, 'the partial file', fail);
    uint(p.offset, 'the offset in the partial file', Number.MAX_SAFE_INTEGER, fail);
    ids(p.content, 'content chunk of the partial file:', fail);
    if (typeof p.mtimeNs !== 'string' || !NS.test(p.mtimeNs)) fail(`gives the partial file a bad mtime`);
    uint(p.size, 'the size of the partial file', Number.MAX_SAFE_INTEGER, fail);
  }
  for (const d of array(c.drives, 'a drive list', fail)) {
    const o = object(d, 'a drive', fail);
    driveId(o.id, 'a drive', fail);
    string(o.path, 'a drive path', fail);
    ids(o.packs, 'pack', fail);
  }
  object(c.stats, 'stats', fail);
  checkMessages(c.errors, 'errors', fail);
  if (c.warnings !== undefined) checkMessages(c.warnings, 'warnings', fail);
}

function checkFrame(v: unknown, fail: Fail): void {
  const f = object(v, 'a frame', fail);
  if (f.name !== null) hexName(f.name, 'a frame name', fail);
  if (f.node !== null) checkNode(f.node, 0, fail);
  const nodes = array(f.nodes, 'a frame without a node list', fail);
  for (let i = 0; i < nodes.length; i++) checkNode(nodes[i], i, fail);
  if (f.nodesTree !== undefined) id(f.nodesTree, 'a partial tree as', fail);
  if (f.last !== undefined) hexName(f.last, 'the last entry of a frame', fail);
}

/** Whether a lock file's JSON has the fields a lock is judged by (lock.ts ignores any other file). */
export function isLockFile(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return (
    typeof l.exclusive === 'boolean' &&
    typeof l.hostname === 'string' &&
    isUint(l.pid, 2 ** 31 - 1) &&
    l.pid > 0 &&
    typeof l.refreshed === 'string' &&
    typeof l.time === 'string' &&
    (l.staleAfter === undefined || (typeof l.staleAfter === 'number' && l.staleAfter > 0))
  );
}
