/** Snapshots: the committed record of one backup, stored encrypted under snapshots/<id>. */
import type { Drive } from './drive';
import { decodeJson, encodeJson } from './blob';
import { contentId } from './hash';
import { EngineError } from './errors';

export interface SnapshotError {
  path: string;
  message: string;
}

export interface BackupStats {
  files: number;
  dirs: number;
  bytes: number;
  newBytes: number;
  newChunks: number;
  cachedFiles: number;
  packs: number;
}

export interface Snapshot {
  version: 1;
  time: string;
  hostname: string;
  app?: string;
  paths: string[];
  tree: string;
  drives: { id: string; path: string }[];
  incomplete: boolean;
  errors: SnapshotError[];
  warnings: SnapshotError[];
  stats: BackupStats;
}

export interface SnapshotEntry {
  id: string;
  snapshot: Snapshot;
}

export async function writeSnapshot(drive: Drive, snap: Snapshot): Promise<string> {
  const data = encodeJson(drive.key, snap);
  const id = contentId(data);
  await drive.writeFile('snapshots', id, data);
  return id;
}

export async function readSnapshot(drive: Drive, id: string): Promise<Snapshot> {
  const names = await drive.list('snapshots');
  const matches = names.filter((n) => n.startsWith(id));
  if (matches.length !== 1 || id.length < 4) {
    throw new EngineError(
      matches.length > 1
        ? `snapshot ID prefix ${id} is ambiguous on drive ${drive.path}; give more digits`
        : `no snapshot ${id} on drive ${drive.path}; list them with \`baton repo snapshots --drive ${drive.path}\``,
      'NO_SNAPSHOT',
    );
  }
  const snap = decodeJson<Snapshot>(drive.key, await drive.readFile('snapshots', matches[0]), `snapshot ${matches[0]}`);
  if (snap.version !== 1) {
    throw new EngineError(`snapshot ${matches[0]} has unknown version ${String(snap.version)}`, 'UNSUPPORTED_VERSION');
  }
  return snap;
}

export async function resolveSnapshotId(drive: Drive, id: string): Promise<string> {
  const matches = (await drive.list('snapshots')).filter((n) => n.startsWith(id));
  if (matches.length !== 1) await readSnapshot(drive, id);
  return matches[0];
}

export async function listSnapshots(drive: Drive): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for (const id of await drive.list('snapshots')) {
    out.push({
      id,
      snapshot: decodeJson<Snapshot>(drive.key, await drive.readFile('snapshots', id), `snapshot ${id}`),
    });
  }
  return out.sort((a, b) => a.snapshot.time.localeCompare(b.snapshot.time) || a.id.localeCompare(b.id));
}
