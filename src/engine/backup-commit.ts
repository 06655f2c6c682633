/**
 * The end of a backup: the root tree, the last packs and their index, refs on the other drives whose
 * packs the snapshot uses, then the snapshot itself (last, so it never names data that is not durable).
 */
import { metadataAad } from './config';
import { hostname } from 'node:os';
import { encodeJson } from './blob';
import type { CheckpointDrive } from './checkpoint';
import type { Drive } from './drive';
import type { BackupLocks } from './lock-set';
import { throwIfAborted } from './errors';
import { contentId } from './hash';
import type { PackWriter } from './pack-writer';
import type { Snapshot } from './snapshot';
import type { Tally } from './backup-tally';
import type { TreeSaver } from './tree-saver';
import type { UsedPacks } from './used-packs';

export interface CommitDeps {
  drive: Drive;
  /** the backup's locks: the refs written under each other drive's, the snapshot under `drive`'s */
  lock: Pick<BackupLocks, 'commitRefs' | 'dropUnused' | 'writeHeld'>;
  /** every drive the backup opened, by ID */
  opened: Map<string, Drive>;
  writer: PackWriter;
  trees: TreeSaver;
  used: UsedPacks;
  drives: CheckpointDrive[];
  tally: Tally;
  /** packs written by the runs before this one (resumed from) */
  packsBefore: number;
  sources: string[];
  app?: string;
  beforeWrite?: () => Promise<void>;
  signal?: AbortSignal;
}

export async function commitSnapshot(c: CommitDeps): Promise<{ snapshotId: string; snapshot: Snapshot }> {
  const { drive, writer, tally } = c;
  const rootTree = await c.trees.saveRoot();
  await writer.writeIndex();
  c.used.resolve();
  tally.stats.packs = writer.packsWritten + c.packsBefore;
  const used = c.drives.filter((d) => d.id === drive.id || d.packs.length > 0);
  const snap: Snapshot = {
    version: 1,
    time: new Date().toISOString(),
    hostname: hostname(),
    app: c.app,
    paths: c.sources,
    tree: rootTree,
    drives: used.map((d) => ({ id: d.id, path: d.id === drive.id ? drive.path : d.path })),
    incomplete: tally.errors.length > 0 || tally.warnings.length > 0,
    errors: tally.errors,
    warnings: tally.warnings,
    stats: tally.stats,
  };
  const data = encodeJson(drive.key, snap, metadataAad(drive.config.version, 'snapshot'));
  const snapshotId = contentId(data);
  for (const d of used) {
    if (d.id === drive.id) continue;
    const od = c.opened.get(d.id) as Drive;
    const refs = { version: 1, snapshot: snapshotId, drive: drive.id, packs: d.packs };
    if (c.beforeWrite) await c.beforeWrite();
    await c.lock.commitRefs(od, snapshotId, Buffer.from(JSON.stringify(refs)));
  }
  await c.lock.dropUnused(new Set(used.map((d) => d.id)));
  throwIfAborted(c.signal, 'backup');
  if (c.beforeWrite) await c.beforeWrite();
  // checked before and after: a lock lost meanwhile (prune may have run) takes the snapshot back
  await c.lock.writeHeld('snapshots', snapshotId, data);
  return { snapshotId, snapshot: snap };
}
