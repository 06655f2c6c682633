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
import { throwIfAborted } from './errors';
import { Lock } from './lock';
import type { ProgressReporter } from './progress';
import { noopProgress } from './progress';

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
    return await verifyLocked(opts);
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

async function verifyLocked(opts: VerifyOptions): Promise<VerifyResult> {
  const { drive, signal } = opts;
  const progress = opts.progress ?? noopProgress;
  const findings: Finding[] = [];
  const add = (f: Finding): void => void findings.push(f);

  // 1. index files
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

  // 2. packs present with their length
  const packs: IndexPack[] = [...index.packs.values()].map((p) => p.pack);
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

  // packs that snapshots on other drives use here (refs/) must be present
  for (const name of await drive.list('refs')) {
    try {
      const r = JSON.parse((await drive.readFile('refs', name)).toString('utf8')) as { drive: string; packs: string[] };
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

  // 3. snapshots and their trees
  const users = new Map<string, User>();
  const seenTrees = new Set<string>();
  let snapCount = 0;
  let snaps: Awaited<ReturnType<typeof listSnapshots>> = [];
  try {
    snaps = await listSnapshots(drive);
  } catch (err) {
    add({ kind: 'snapshot', severity: 'error', message: `snapshots: ${(err as Error).message}` });
  }
  for (const { id, snapshot } of snaps) {
    snapCount++;
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
    const walk = async (treeId: string, path: string): Promise<void> => {
      throwIfAborted(signal, 'verify');
      if (!users.has(treeId)) users.set(treeId, { snapshot: id, path: path || '/' });
      if (seenTrees.has(treeId)) return;
      seenTrees.add(treeId);
      const loc = all.get(treeId);
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
        if (n.type === 'dir' && n.subtree) await walk(n.subtree, p);
        for (const c of n.content ?? []) {
          if (!users.has(c)) users.set(c, { snapshot: id, path: p });
          if (!all.has(c)) {
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
    };
    await walk(snapshot.tree, '');
  }

  // 4. full read of this drive's packs
  let bytesRead = 0;
  if (opts.readData) {
    const usedBy = (blob: string): string => {
      const u = users.get(blob);
      return u ? `; it holds data of ${u.path} in snapshot ${u.snapshot}` : '';
    };
    for (const p of packs) {
      throwIfAborted(signal, 'verify');
      let data: Buffer;
      try {
        data = await drive.packs.readPack(p, 0, p.length);
      } catch (err) {
        add({ kind: 'pack-data', severity: 'error', pack: p.id, message: `pack ${p.id}: ${(err as Error).message}` });
        continue;
      }
      bytesRead += data.length;
      progress.update({ files: 0, dirs: 0, bytes: bytesRead, newBytes: 0, errors: findings.length });
      try {
        parsePack(drive.key, data, p.id);
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
          decodeBlob(drive.key, data.subarray(b.offset, b.offset + b.length), b, `pack ${p.id}`, true);
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
  }
  const errors = findings.filter((f) => f.severity === 'error');
  return {
    ok: errors.length === 0,
    errors,
    infos: findings.filter((f) => f.severity === 'info'),
    snapshots: snapCount,
    packs: packs.length,
    blobs: index.size,
    bytesRead,
  };
}
