/**
 * Checkpoints: the JSON-serialisable state of an in-flight backup. A checkpoint lists only what is
 * durable: the walk position (open directories with their finished entries, inline or as partial
 * tree blobs on the drive, the file being read and how far), the packs used on each drive, counters and errors.
 */
import type { TreeNode } from './tree';
import type { BackupStats, SnapshotError } from './snapshot';
import { EngineError } from './errors';
import { checkCheckpoint, onCheckpoint } from './validate';

export interface CheckpointFrame {
  /** hex of the directory's raw name; null for the root */
  name: string | null;
  /** the directory's own node, subtree still unset; null for the root */
  node: TreeNode | null;
  /** finished entries of this directory, in walk order (empty when `nodesTree` holds them) */
  nodes: TreeNode[];
  /** a tree blob holding `nodes`, for large directories (the blob is durable with the checkpoint) */
  nodesTree?: string;
  /** hex of the raw name of the last entry handled here (stored, skipped with an error, ...) */
  last?: string;
}

export interface CheckpointPartial {
  /** hex of the raw name of the file being read, in the deepest frame */
  name: string;
  /** bytes read so far (a chunk boundary) */
  offset: number;
  content: string[];
  mtimeNs: string;
  size: number;
}

export interface CheckpointDrive {
  id: string;
  path: string;
  /** packs of the drive that the durable part of this backup uses (new or deduplicated) */
  packs: string[];
}

export interface Checkpoint {
  version: 1;
  backupId: string;
  /** increases by one with every checkpoint of the backup */
  seq: number;
  time: string;
  startedAt: string;
  sources: string[];
  app?: string;
  frames: CheckpointFrame[];
  partial?: CheckpointPartial;
  drives: CheckpointDrive[];
  stats: BackupStats;
  errors: SnapshotError[];
  warnings: SnapshotError[];
  reason: 'interval' | 'volume-change' | 'stop';
}

/** Checks a checkpoint handed in to resume from: version 1, and every field's shape (validate.ts). */
export function validateCheckpoint(cp: unknown): Checkpoint {
  const c = cp as Checkpoint;
  if (typeof c !== 'object' || c === null || c.version !== 1 || !Array.isArray(c.frames) || c.frames.length === 0) {
    throw new EngineError(
      'the checkpoint to resume from is not a version 1 baton checkpoint; start a fresh backup instead',
      'BAD_CHECKPOINT',
    );
  }
  checkCheckpoint(c, onCheckpoint());
  return c;
}
