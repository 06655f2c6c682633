/**
 * A restore test: restores a snapshot (or a seeded random sample of its files) into a fresh scratch
 * directory, compares what was written with the snapshot (restore-check.ts), and removes the
 * scratch directory, whichever way it ends (a failure, a cancellation). A restore that fails on
 * damaged data is a difference, naming the file it was restoring; any other error is thrown.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Drive } from './drive';
import { CorruptionError } from './errors';
import { Lock } from './lock';
import { noopProgress, type ProgressReporter } from './progress';
import { restore, openSnapshotDrives, loadTree } from './restorer';
import { addToSelection, pathParts, type Selection } from './restore-paths';
import { checkRestored, filePaths, type RestoreDifference } from './restore-check';
import { readSnapshot, resolveSnapshotId } from './snapshot';
import { sampleCount, sampleIndices, type SampleSpec } from '../model/restore-test';
import type { TreeNode } from './tree';

export interface RestoreTestOptions {
  drive: Drive;
  password?: string;
  snapshotId: string;
  /** Made fresh (anything there first is removed) and removed at the end. */
  scratchDir: string;
  /** null: the whole snapshot. */
  sample: SampleSpec | null;
  seed: number;
  signal?: AbortSignal;
  progress?: ProgressReporter;
  rateLimit?: number;
}

export interface RestoreTestReport {
  files: number;
  bytes: number;
  /** Files in the snapshot. */
  totalFiles: number;
  /** The sampled paths (all of them); empty for a whole-snapshot test. */
  sampled: string[];
  difference: RestoreDifference | null;
}

interface Source {
  root: TreeNode[];
  load: (id: string) => Promise<TreeNode[]>;
  index: Awaited<ReturnType<typeof openSnapshotDrives>>['index'];
}

/** Runs `fn` over the snapshot's root tree and index, under the drive's shared lock (prune waits). */
async function withSource<T>(opts: RestoreTestOptions, fn: (s: Source) => Promise<T>): Promise<T> {
  const lock = await Lock.acquireReader(opts.drive, 'restore test');
  try {
    const snap = await readSnapshot(opts.drive, await resolveSnapshotId(opts.drive, opts.snapshotId));
    const { index } = await openSnapshotDrives(opts.drive, snap, [], opts.password);
    const load = (id: string) => loadTree(index, id);
    return await fn({ root: await load(snap.tree), load, index });
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

/** The file a CorruptionError from the restore names (`(restoring <scratch>/<path>)`), relative to the snapshot. */
function restoringPath(err: CorruptionError, scratchDir: string): string {
  const m = /\(restoring (.+?)\)/.exec(err.message);
  if (!m) return '.';
  return m[1].startsWith(`${scratchDir}/`) ? m[1].slice(scratchDir.length + 1) : m[1];
}

export async function testRestore(opts: RestoreTestOptions): Promise<RestoreTestReport> {
  const { scratchDir } = opts;
  await rm(scratchDir, { recursive: true, force: true });
  await mkdir(dirname(scratchDir), { recursive: true, mode: 0o700 });
  try {
    const { all, sampled } = await withSource(opts, async (s) => {
      const everyFile = await filePaths(s.root, s.load);
      if (opts.sample === null) return { all: everyFile.length, sampled: [] };
      const count = sampleCount(opts.sample, everyFile.length);
      return {
        all: everyFile.length,
        sampled: sampleIndices(everyFile.length, count, opts.seed).map((i) => everyFile[i]),
      };
    });
    const report: RestoreTestReport = { files: 0, bytes: 0, totalFiles: all, sampled, difference: null };
    if (opts.sample !== null && sampled.length === 0) return report;
    try {
      await restore({
        drive: opts.drive,
        password: opts.password,
        snapshotId: opts.snapshotId,
        target: scratchDir,
        ...(sampled.length > 0 ? { paths: sampled } : {}),
        signal: opts.signal,
        progress: opts.progress ?? noopProgress,
        rateLimit: opts.rateLimit,
        // a scratch restore checks contents: device nodes (not compared, restore-check.ts) are not made
        noDevices: true,
      });
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      const message = err.message.replaceAll(`${scratchDir}/`, '');
      return {
        ...report,
        difference: { path: restoringPath(err, scratchDir), problem: `cannot be restored: ${message}` },
      };
    }
    const checked = await withSource(opts, (s) => {
      const selection = sampled.length > 0 ? selectionOf(sampled) : undefined;
      return checkRestored(
        { index: s.index, loadTree: s.load, target: scratchDir, signal: opts.signal },
        s.root,
        selection,
      );
    });
    return { ...report, ...checked };
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

function selectionOf(paths: string[]): Selection {
  const selection: Selection = new Map();
  for (const p of paths) addToSelection(selection, pathParts(p));
  return selection;
}
