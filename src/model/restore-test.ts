/**
 * Restore tests: a per-app schedule (or `baton restore-test run`) that restores the app's latest
 * snapshot, or a random sample of its files, into scratch space on the app's host, compares what
 * was written with the snapshot, records the result and deletes the scratch directory. Plain JSON
 * types, and the pure parts: how many files a sample takes and which (seeded, so a run's choice
 * can be made again from its recorded seed).
 */
import type { JobSettings, RestoreTestSpec, SampleSpec } from './plan';
import type { SnapshotSource } from './operations';
import { mulberry32 } from './prng';

export type { RestoreTestSpec, SampleSpec };

/** What a restore-test workflow is started with, by its schedule or by `baton restore-test run`. */
export interface RestoreTestInput {
  cluster: string;
  app: string;
  sample: SampleSpec | null;
  scratch: string | null;
  requestedBy: string;
  /** `operationBandwidthLimitBytesPerSecond`: the restore's pace, as for `baton restore` (absent: no limit). */
  settings: Pick<
    JobSettings,
    'scheduleToStartTimeoutSeconds' | 'heartbeatTimeoutSeconds' | 'operationBandwidthLimitBytesPerSecond'
  >;
}

/**
 * The job settings a restore test takes from the plan; the bandwidth limit only when set, so the
 * schedules of plans without one keep their fingerprint.
 */
export function restoreTestSettings(jobs: JobSettings): RestoreTestInput['settings'] {
  const limit = jobs.operationBandwidthLimitBytesPerSecond ?? 0;
  return {
    scheduleToStartTimeoutSeconds: jobs.scheduleToStartTimeoutSeconds,
    heartbeatTimeoutSeconds: jobs.heartbeatTimeoutSeconds,
    ...(limit > 0 ? { operationBandwidthLimitBytesPerSecond: limit } : {}),
  };
}

/** The node's input for one restore test. */
export interface RestoreTestRequest {
  /** The run's workflow ID: the scratch directory and the catalog row are named by it. */
  runId: string;
  node: string;
  app: string;
  source: SnapshotSource;
  sample: SampleSpec | null;
  /** Seeds the sample's choice; recorded with the result. */
  seed: number;
  scratch: string | null;
  /** Bytes per second the restore may write (the plan's operation bandwidth limit); absent or 0: no limit. */
  rateLimit?: number;
}

/** The first file that differs from the snapshot, and how. */
export interface RestoreDifference {
  /** Relative to the snapshot's root, e.g. `data/t1.db`. */
  path: string;
  /** One line: `content differs from the snapshot at bytes 0-1048575 (chunk 1 of 2)`, `is missing`, ... */
  problem: string;
}

/** What the node found. */
export interface RestoreTestOutcome {
  node: string;
  /** The scratch directory the run used (removed by then). */
  scratchDir: string;
  /** Files restored and compared, and their bytes. */
  files: number;
  bytes: number;
  /** Files in the snapshot: the sample's population. */
  totalFiles: number;
  /** Up to SAMPLE_SHOWN of the sampled paths; empty for a whole-snapshot test. */
  sampled: string[];
  /** null: every file matched. */
  difference: RestoreDifference | null;
}

export type RestoreTestState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a restore-test run returns (and carries as its failure's details). */
export interface RestoreTestResult {
  runId: string;
  app: string;
  node: string | null;
  snapshotId: string | null;
  state: RestoreTestState;
  files: number;
  bytes: number;
  message: string;
}

/** How many sampled paths a result carries. */
export const SAMPLE_SHOWN = 20;

/** How many of `total` files the sample takes: at least one when there are any, never more than all. */
export function sampleCount(spec: SampleSpec, total: number): number {
  const want = 'files' in spec ? spec.files : Math.ceil(spec.fraction * total);
  return Math.max(Math.min(want, total), Math.min(1, total));
}

/**
 * `count` distinct indices of `0..total-1`, chosen at random from `seed` (Floyd's algorithm: one
 * draw per chosen index, memory for the chosen only), in ascending order.
 */
export function sampleIndices(total: number, count: number, seed: number): number[] {
  const next = mulberry32(seed);
  const chosen = new Set<number>();
  for (let j = total - Math.min(count, total); j < total; j++) {
    const t = Math.floor(next() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/** `100 files`, `10% of the files`, `the whole snapshot`: for messages. */
export function describeSample(spec: SampleSpec | null): string {
  if (spec === null) return 'the whole snapshot';
  if ('files' in spec) return `a sample of ${spec.files} file${spec.files === 1 ? '' : 's'}`;
  return `a sample of ${+(spec.fraction * 100).toFixed(4)}% of the files`;
}

/**
 * A sample as `--sample` or baton.yaml's `sample` gives it: a whole number of files (`100`), a
 * fraction (`0.1`) or a percentage (`"10%"`). Null with a problem when it is none of these.
 */
export function parseSample(value: number | string): { sample: SampleSpec } | { problem: string } {
  const text = String(value).trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const n = pct ? Number(pct[1]) / 100 : Number(text);
  const fix = 'give a number of files (e.g. 100), a fraction (e.g. 0.1) or a percentage (e.g. "10%")';
  if (text === '' || !Number.isFinite(n) || n <= 0) return { problem: `must be positive; ${fix}` };
  if (pct || n < 1) {
    if (n > 1) return { problem: `is more than 100%; ${fix}` };
    return { sample: { fraction: n } };
  }
  if (!Number.isInteger(n)) return { problem: `is neither a whole number of files nor a fraction below 1; ${fix}` };
  return { sample: { files: n } };
}

/** Whether `path` is `dir` or lies under it (both absolute and normalised). */
function within(path: string, dir: string): boolean {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(base);
}

/**
 * Problems with the apps' restore-test scratch directories: one inside an app's data or a drive
 * (or holding one) would mix test files with what is backed up or with the backups. One message each.
 */
export function scratchProblems(plan: {
  apps: { name: string; paths: string[]; restoreTest?: RestoreTestSpec | null }[];
  drives: { name: string; path: string }[];
}): string[] {
  const problems: string[] = [];
  for (const app of plan.apps) {
    const scratch = app.restoreTest?.scratch;
    if (!scratch) continue;
    const key = `app "${app.name}": restoreTest.scratch ${scratch}`;
    if (!scratch.startsWith('/')) {
      problems.push(`${key} is not an absolute path; give a directory on the node, e.g. /var/tmp/baton-restore-tests`);
      continue;
    }
    const clash = [
      ...plan.apps.flatMap((a) => a.paths.map((p) => ({ what: `app "${a.name}"'s data path ${p}`, path: p }))),
      ...plan.drives.map((d) => ({ what: `drive "${d.name}" (${d.path})`, path: d.path })),
    ].find((c) => within(scratch, c.path) || within(c.path, scratch));
    if (clash) {
      problems.push(
        `${key} overlaps ${clash.what}; choose a directory outside every app's paths and drive (or leave scratch out for the node's state directory)`,
      );
    }
  }
  return problems;
}

/** How a run that reached the node ended: its state, the file to name, and the row's one-line message. */
export function restoreTestVerdict(
  app: string,
  snapshotId: string,
  outcome: RestoreTestOutcome,
): { state: 'succeeded' | 'failed'; path: string | null; message: string } {
  const snap = snapshotId.slice(0, 12);
  const d = outcome.difference;
  if (d) {
    return {
      state: 'failed',
      path: d.path,
      message:
        `restore test of ${app} snapshot ${snap} on ${outcome.node} failed: ${d.path} ${d.problem} ` +
        `(${outcome.files} file${outcome.files === 1 ? '' : 's'} matched before it)`,
    };
  }
  const sampled = outcome.sampled.length > 0 ? ` (a sample of ${outcome.totalFiles} files)` : '';
  return {
    state: 'succeeded',
    path: null,
    message: `restore test of ${app} snapshot ${snap} on ${outcome.node} passed: ${outcome.files} files, ${outcome.bytes} bytes match the snapshot${sampled}`,
  };
}
