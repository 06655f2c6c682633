/** Snapshots: the committed record of one backup, stored encrypted under snapshots/<id>. */
import { metadataAad } from './config';
import type { Drive } from './drive';
import { decodeJson, encodeJson } from './blob';
import { contentId } from './hash';
import { EngineError } from './errors';
import { isId } from './known-ids';
import { checkSnapshot, onDrive } from './validate';

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
  const data = encodeJson(drive.key, snap, metadataAad(drive.config.version, 'snapshot'));
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
  return decodeSnapshot(drive, matches[0]);
}

/**
 * Reads snapshots/<name> and checks it (validate.ts): its name an ID, its version known, and every
 * field, the root tree ID above all, of the documented shape.
 */
async function decodeSnapshot(drive: Drive, name: string): Promise<Snapshot> {
  const fail = onDrive(drive.path, `snapshot ${name}`);
  if (!isId(name)) fail('is not named by a snapshot ID (64 lowercase hex digits)');
  const snap = decodeJson(
    drive.key,
    await drive.readFile('snapshots', name),
    `snapshot ${name} on drive ${drive.path}`,
    metadataAad(drive.config.version, 'snapshot'),
  );
  const version = (snap as { version?: unknown } | null)?.version;
  if (version !== 1) {
    throw new EngineError(`snapshot ${name} has unknown version ${String(version)}`, 'UNSUPPORTED_VERSION');
  }
  checkSnapshot(snap, fail);
  return snap as Snapshot;
}

export async function resolveSnapshotId(drive: Drive, id: string): Promise<string> {
  const matches = (await drive.list('snapshots')).filter((n) => n.startsWith(id));
  if (matches.length !== 1) await readSnapshot(drive, id);
  return matches[0];
}

export async function listSnapshots(drive: Drive): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for (const id of await drive.list('snapshots')) {
    out.push({ id, snapshot: await decodeSnapshot(drive, id) });
  }
  return out.sort((a, b) => a.snapshot.time.localeCompare(b.snapshot.time) || a.id.localeCompare(b.id));
}
