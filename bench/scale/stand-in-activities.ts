/**
 * The scale benchmark's node activities: the same names, inputs and outputs as the real backup
 * service's (src/activities/backup-activities.ts), and the same traffic to Temporal and the
 * catalog, without reading a byte: an attempt checks its epoch, heartbeats its progress every
 * second as BackupHeartbeat details, saves a (tiny, unencrypted) checkpoint in the catalog every
 * checkpoint interval, and after `durationMs` of simulated reading (less what a resumed
 * checkpoint already covered) returns an outcome with a made-up snapshot ID. A cancelled attempt
 * (its app moved) stops at its next beat, as the real one does.
 */
import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { checkEpoch, saveCheckpoint } from '../../src/catalog/attempts';
import type { Catalog } from '../../src/catalog/open';
import type { Checkpoint } from '../../src/engine/checkpoint';
import { sealCheckpoint } from '../../src/engine/checkpoint-seal';
import type { BackupAttemptInput, BackupOutcome, BackupProgress, CheckpointCheck } from '../../src/model/backup';
import { backupSummary, type BackupHeartbeat, type HeartbeatCheckpoint } from '../../src/model/heartbeat';

/** The simulated app: this many bytes, read at a steady rate over the attempt's duration. */
export const STAND_IN_BYTES = 64 * 1024 * 1024;
const STAND_IN_FILES = 1000;

/** One attempt's start, as the benchmark measures dispatch latency (request -> attempt running). */
export interface AttemptStarted {
  jobId: string;
  attempt: number;
  node: string;
  startedAt: number;
  resumedBytes: number;
}

export interface StandInOptions {
  node: string;
  catalog: Catalog;
  /** How long a fresh attempt simulates reading. */
  durationMs: number;
  onStart: (s: AttemptStarted) => void;
}

function checkpointOf(input: BackupAttemptInput, seq: number, bytes: number, startedAt: string): Checkpoint {
  const files = Math.floor((bytes / STAND_IN_BYTES) * STAND_IN_FILES);
  return {
    version: 1,
    backupId: input.job.jobId,
    seq,
    time: new Date().toISOString(),
    startedAt,
    sources: input.job.app.paths,
    app: input.job.app.name,
    frames: [],
    drives: [{ id: input.attempt.drive.name, path: input.attempt.drive.path, packs: [] }],
    stats: { files, dirs: 0, bytes, newBytes: bytes, newChunks: 0, cachedFiles: 0, packs: 0 },
    errors: [],
    warnings: [],
    reason: 'interval',
  };
}

async function runAttempt(o: StandInOptions, input: BackupAttemptInput): Promise<BackupOutcome> {
  const ctx = Context.current();
  const { job, attempt } = input;
  const started = Date.now();
  const resumedBytes = input.resumeFrom?.bytes ?? 0;
  o.onStart({ jobId: job.jobId, attempt: attempt.number, node: o.node, startedAt: started, resumedBytes });
  await checkEpoch(o.catalog, job.jobId, attempt.epoch);
  const rate = STAND_IN_BYTES / (o.durationMs / 1000);
  const checkpointMs = job.settings.checkpointEverySeconds * 1000;
  let checkpoint: HeartbeatCheckpoint | null = input.resumeFrom
    ? { at: input.resumeFrom.at, files: input.resumeFrom.files, bytes: input.resumeFrom.bytes }
    : null;
  let lastCheckpoint = started;
  const startedIso = new Date(started).toISOString();
  for (;;) {
    const bytes = Math.min(STAND_IN_BYTES, resumedBytes + Math.round(((Date.now() - started) / 1000) * rate));
    const files = Math.floor((bytes / STAND_IN_BYTES) * STAND_IN_FILES);
    if (bytes >= STAND_IN_BYTES) break;
    if (Date.now() - lastCheckpoint >= checkpointMs) {
      const at = new Date().toISOString();
      await saveCheckpoint(
        o.catalog,
        {
          jobId: job.jobId,
          epoch: attempt.epoch,
          node: o.node,
          files,
          bytes,
          seal: (seq) => {
            const place = { jobId: job.jobId, seq, driveId: attempt.drive.name };
            const sealed = sealCheckpoint(null, place, checkpointOf(input, seq, bytes, startedIso));
            return {
              driveId: attempt.drive.name,
              drivePath: attempt.drive.path,
              seal: sealed.seal,
              sealed: sealed.data,
            };
          },
        },
        at,
      );
      checkpoint = { at, files, bytes };
      lastCheckpoint = Date.now();
    }
    const progress: BackupProgress = {
      files,
      bytes,
      totalFiles: STAND_IN_FILES,
      totalBytes: STAND_IN_BYTES,
      rateBytesPerSecond: Math.round(rate),
      etaSeconds: Math.round((STAND_IN_BYTES - bytes) / rate),
      lastPath: null,
      checkpointAt: checkpoint?.at ?? null,
      epoch: attempt.epoch,
    };
    const beat: BackupHeartbeat = { summary: backupSummary(progress), progress, checkpoint };
    ctx.heartbeat(beat);
    await ctx.sleep(1000); // throws when the attempt is cancelled (its app moved)
  }
  await checkEpoch(o.catalog, job.jobId, attempt.epoch);
  return {
    files: STAND_IN_FILES,
    bytes: STAND_IN_BYTES,
    newBytes: STAND_IN_BYTES - resumedBytes,
    durationMs: Date.now() - started,
    snapshotId: randomBytes(32).toString('hex'),
    drive: attempt.drive.path,
    incomplete: false,
  };
}

export function createStandInActivities(o: StandInOptions) {
  return {
    backupAttempt: (input: BackupAttemptInput): Promise<BackupOutcome> => runAttempt(o, input),
    canReadCheckpoint: (): Promise<CheckpointCheck> => Promise.resolve({ readable: true }),
  };
}
