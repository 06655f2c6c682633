/**
 * The checker (`verify`): structure checks (index files decode, every indexed pack is present with
 * its length, every snapshot's trees decode and every blob they reference is indexed) and, with
 * `readData`, a full read of every pack (pack hash, trailer, every blob's tag and hash). Findings
 * name the snapshot, file and pack concerned. The drive's shared lock is held throughout, so a
 * prune cannot delete packs while they are checked (and be reported as missing).
 */
import type { Drive } from './drive';
import { BlobIndex, readIndexFiles, readBlob } from './index-file';
import type { IndexFile, IndexPack } from './index-file';
import { listSnapshots } from './snapshot';
import { decodeTree } from './tree';
import type { TreeNode } from './tree';
import { openSnapshotDrives } from './restorer';
import { parsePack } from './pack';
import { decodeBlob } from './blob';
import { blobAad, trailerAad } from './config';
import { throwIfAborted } from './errors';
import { Lock } from './lock';
import { parseRefs } from './validate';
import type { ProgressReporter } from './progress';
import { noopProgress } from './progress';
import { RateLimiter } from './rate-limit';

export type FindingKind =
  | 'index'
  | 'missing-pack'
  | 'pack-size'
  | 'pack-data'
  | 'blob-data'
  | 'missing-blob'
  | 'tree'
  | 'snapshot'
  | 'unindexed-pack';

export interface Finding {
  kind: FindingKind;
  severity: 'error' | 'info';
  message: string;
  pack?: string;
  blob?: string;
  snapshot?: string;
  path?: string;
}

export interface VerifyOptions {
  drive: Drive;
  readData?: boolean;
  otherDrives?: Drive[];
  password?: string;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  /** bytes per second reading the packs' data may take; 0 or absent: no limit */
  rateLimit?: number;
}

export interface VerifyResult {
  ok: boolean;
  errors: Finding[];
  infos: Finding[];
  snapshots: number;
  packs: number;
  blobs: number;
  bytesRead: number;
}

interface User {
  snapshot: string;
  path: string;
}

export async function verify(opts: VerifyOptions): Promise<VerifyResult> {
  const lock = await Lock.acquireReader(opts.drive, 'verify');
  try {
    const result = await verifyLocked(opts);
    // a prune that took the lock for stale may have deleted packs under it: errors found may be false
    await lock?.check();
    return result;
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

type Add = (f: Finding) => void;

async function verifyLocked(opts: VerifyOptions): Promise<VerifyResult> {
  const { drive, signal } = opts;
  const findings: Finding[] = [];
  const add: Add = (f) => void findings.push(f);

  const index = await checkIndexFiles(drive, add);
  const packs: IndexPack[] = [...index.packs.values()].map((p) => p.pack);
  await checkPackFiles(drive, index, packs, add, signal);
  await checkRefs(drive, index, add);
  const { users, snapshots } = await checkSnapshots(opts, index, add);
  const bytesRead = opts.readData ? await readPacks(opts, packs, users, findings) : 0;

  const errors = findings.filter((f) => f.severity === 'error');
  return {
    ok: errors.length === 0,
    errors,
    infos: findings.filter((f) => f.severity === 'info'),
    snapshots,
    packs: packs.length,
    blobs: index.size,
    bytesRead,
  };
}

/** 1. Every index file decodes; the index is built from those no other supersedes. */
async function checkIndexFiles(drive: Drive, add: Add): Promise<BlobIndex> {
  const index = new BlobIndex();
  const names = await drive.list('index');
  const files = new Map<string, IndexFile>();
  for (const name of names) {
    try {
      for (const [id, f] of await readIndexFiles(drive, [name])) files.set(id, f);
    } catch (err) {
      add({ kind: 'index', severity: 'error', message: `index file ${name}: ${(err as Error).message}` });
    }
  }
  for (const f of [...files.values()]) for (const s of f.supersedes ?? []) files.delete(s);
  for (const f of files.values()) index.addFile(drive, f);
  return index;
}

/** 2. Every indexed pack is present with its length; packs in no index are reported (info). */
async function checkPackFiles(
  drive: Drive,
  index: BlobIndex,
  packs: IndexPack[],
  add: Add,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const p of packs) {
    throwIfAborted(signal, 'verify');
    const size = await drive.packs.packSize(p);
    if (size === null) {
      add({
        kind: 'missing-pack',
        severity: 'error',
        pack: p.id,
        message: `pack ${p.id} is listed in the index but missing`,
      });
    } else if (size !== p.length) {
      add({
        kind: 'pack-size',
        severity: 'error',
        pack: p.id,
        message: `pack ${p.id} has ${size} bytes, the index says ${p.length}`,
      });
    }
  }
  for (const p of await drive.packs.listPacks()) {
    if (!index.packs.has(p.id)) {
      add({
        kind: 'unindexed-pack',
        severity: 'info',
        pack: p.id,
        message: `pack ${p.id} is in no index (left by an interrupted backup); \`baton repo prune\` removes it`,
      });
    }
  }
}

/** Packs that snapshots on other drives use here (refs/) must be present. */
async function checkRefs(drive: Drive, index: BlobIndex, add: Add): Promise<void> {
  for (const name of await drive.list('refs')) {
    try {
      const r = parseRefs(await drive.readFile('refs', name), name, drive.path);
      for (const p of r.packs) {
        if (!index.packs.has(p)) {
          add({
            kind: 'missing-pack',
            severity: 'error',
            pack: p,
            snapshot: name,
            message: `pack ${p} used by snapshot ${name} (stored on drive ${r.drive}) is not in this drive's index`,
          });
        }
      }
    } catch (err) {
      add({ kind: 'index', severity: 'error', message: `refs/${name} is unreadable: ${(err as Error).message}` });
    }
  }
}

/**
 * 3. Every snapshot's trees decode and every blob they reference is indexed (on this drive or the
 * other drives the snapshot uses). Returns, for each blob, the first snapshot and path seen using
 * it, so that the read-data pass can say whose data a bad blob holds.
 */
async function checkSnapshots(
  opts: VerifyOptions,
  index: BlobIndex,
  add: Add,
): Promise<{ users: Map<string, User>; snapshots: number }> {
  const { drive } = opts;
  const users = new Map<string, User>();
  const seen = new Set<string>();
  let snapshots = 0;
  let snaps: Awaited<ReturnType<typeof listSnapshots>> = [];
  try {
    snaps = await listSnapshots(drive);
  } catch (err) {
    add({ kind: 'snapshot', severity: 'error', message: `snapshots: ${(err as Error).message}` });
  }
  for (const { id, snapshot } of snaps) {
    snapshots++;
    let all: BlobIndex = index;
    if (snapshot.drives.some((d) => d.id !== drive.id)) {
      try {
        all = (await openSnapshotDrives(drive, snapshot, opts.otherDrives, opts.password)).index;
      } catch (err) {
        add({
          kind: 'snapshot',
          severity: 'error',
          snapshot: id,
          message: `snapshot ${id}: ${(err as Error).message}`,
        });
        continue;
      }
    }
    await walkTree({ snapshot: id, index: all, users, seen, add, signal: opts.signal }, snapshot.tree, '');
  }
  return { users, snapshots };
}

/** One snapshot's walk; `users` and `seen` are shared by all, so a tree is decoded once. */
interface TreeWalk {
  snapshot: string;
  index: BlobIndex;
  users: Map<string, User>;
  seen: Set<string>;
  add: Add;
  signal: AbortSignal | undefined;
}

async function walkTree(w: TreeWalk, treeId: string, path: string): Promise<void> {
  const { snapshot: id, users, add } = w;
  throwIfAborted(w.signal, 'verify');
  if (!users.has(treeId)) users.set(treeId, { snapshot: id, path: path || '/' });
  if (w.seen.has(treeId)) return;
  w.seen.add(treeId);
  const loc = w.index.get(treeId);
  if (!loc) {
    add({
      kind: 'missing-blob',
      severity: 'error',
      blob: treeId,
      snapshot: id,
      path: path || '/',
      message: `tree ${treeId} of snapshot ${id} at ${path || '/'} is not in any index`,
    });
    return;
  }
  let nodes: TreeNode[];
  try {
    nodes = decodeTree(await readBlob(loc), treeId).nodes;
  } catch (err) {
    add({
      kind: 'tree',
      severity: 'error',
      blob: treeId,
      pack: loc.pack.id,
      snapshot: id,
      path: path || '/',
      message: `tree of ${path || '/'} in snapshot ${id}: ${(err as Error).message}`,
    });
    return;
  }
  for (const n of nodes) {
    const p = `${path}/${n.name}`;
    if (n.type === 'dir' && n.subtree) await walkTree(w, n.subtree, p);
    for (const c of n.content ?? []) {
      if (!users.has(c)) users.set(c, { snapshot: id, path: p });
      if (!w.index.has(c)) {
        add({
          kind: 'missing-blob',
          severity: 'error',
          blob: c,
          snapshot: id,
          path: p,
          message: `chunk ${c} of ${p} in snapshot ${id} is not in any index`,
        });
      }
    }
  }
}

/** 4. Full read of this drive's packs; returns the bytes read. */
async function readPacks(
  opts: VerifyOptions,
  packs: IndexPack[],
  users: Map<string, User>,
  findings: Finding[],
): Promise<number> {
  const { drive, signal } = opts;
  const progress = opts.progress ?? noopProgress;
  const add: Add = (f) => void findings.push(f);
  let bytesRead = 0;
  const limiter = opts.rateLimit ? new RateLimiter(opts.rateLimit, 'verify') : null;
  for (const p of packs) {
    throwIfAborted(signal, 'verify');
    await limiter?.take(p.length, signal);
    let data: Buffer;
    try {
      data = await drive.packs.readPack(p, 0, p.length);
    } catch (err) {
      add({ kind: 'pack-data', severity: 'error', pack: p.id, message: `pack ${p.id}: ${(err as Error).message}` });
      continue;
    }
    bytesRead += data.length;
    progress.update({ files: 0, dirs: 0, bytes: bytesRead, newBytes: 0, errors: findings.length });
    checkPackData(drive, p, data, users, add);
  }
  return bytesRead;
}

/** One pack's hash and trailer, then every blob's tag and hash; findings name whose data it holds. */
function checkPackData(drive: Drive, p: IndexPack, data: Buffer, users: Map<string, User>, add: Add): void {
  const usedBy = (blob: string): string => {
    const u = users.get(blob);
    return u ? `; it holds data of ${u.path} in snapshot ${u.snapshot}` : '';
  };
  try {
    parsePack(drive.key, data, p.id, trailerAad(drive.config.version));
  } catch (err) {
    const first = p.blobs.find((b) => users.has(b.id));
    add({
      kind: 'pack-data',
      severity: 'error',
      pack: p.id,
      snapshot: first ? users.get(first.id)?.snapshot : undefined,
      path: first ? users.get(first.id)?.path : undefined,
      message: `${(err as Error).message}${first ? usedBy(first.id) : ''}`,
    });
  }
  for (const b of p.blobs) {
    try {
      // only checked, never kept: decoded into reused buffers
      const aad = blobAad(drive.config.version, b.type, b.id);
      decodeBlob(
        drive.key,
        data.subarray(b.offset, b.offset + b.length),
        b,
        `pack ${p.id}`,
        true,
        aad,
        drive.ids.idKey,
      );
    } catch (err) {
      const u = users.get(b.id);
      add({
        kind: 'blob-data',
        severity: 'error',
        pack: p.id,
        blob: b.id,
        snapshot: u?.snapshot,
        path: u?.path,
        message: `${(err as Error).message}${usedBy(b.id)}`,
      });
    }
  }
}
