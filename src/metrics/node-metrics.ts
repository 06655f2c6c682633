/**
 * What this node process did, as Prometheus metrics (prom-client): the activities that ran here
 * record each backup they committed, each attempt the catalog closed and each verify's errors,
 * and the coordinator's host check says whether the coordinator runs here. These counters start
 * at zero when the process does; the truths an alert needs after a restart (last success, last
 * failure, a damaged drive) come from the catalog instead (catalog-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** How long after the coordinator's last host check on this node it still counts as hosted here. */
export const COORDINATOR_HOST_WINDOW_MS = 15_000;

/** The registry every Baton metric of this process lives in (the HTTP endpoint serves it). */
export const registry = new Registry();

const backupDuration = new Histogram({
  name: 'baton_backup_duration_seconds',
  help: 'Duration of backup attempts that committed a snapshot on this node',
  labelNames: ['cluster', 'app'] as const,
  buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400],
  registers: [registry],
});

const backupBytes = new Counter({
  name: 'baton_backup_bytes_total',
  help: 'Bytes of the data backed up by snapshots this node committed',
  labelNames: ['cluster', 'app'] as const,
  registers: [registry],
});

const attempts = new Counter({
  name: 'baton_job_attempts_total',
  help: 'Backup attempts ended by the catalog activities on this node, by outcome',
  labelNames: ['cluster', 'outcome'] as const,
  registers: [registry],
});

const verifyErrors = new Counter({
  name: 'baton_drive_verify_errors_total',
  help: 'Errors found by drive verifies that ran on this node (drive names are unique in a cluster)',
  labelNames: ['cluster', 'drive'] as const,
  registers: [registry],
});

const restoreTestFailures = new Counter({
  name: 'baton_restore_test_failures_total',
  help: 'Restore tests recorded as failed by this node (a file differed, or the restore failed)',
  labelNames: ['cluster', 'app'] as const,
  registers: [registry],
});

const freeVolumes = new Gauge({
  name: 'baton_drive_free_volumes',
  help: 'Free (recycled) volumes of a tape drive, as its last retention job on this node left them',
  labelNames: ['cluster', 'drive'] as const,
  registers: [registry],
});

/** A retention job on tape drive `drive` left `free` volumes free. */
export function recordFreeVolumes(cluster: string, drive: string, free: number): void {
  freeVolumes.set({ cluster, drive }, free);
}

/** When the coordinator last ran its host check on each node of this process (one, in a node process). */
const coordinatorSeen = new Map<string, number>();

new Gauge({
  name: 'baton_coordinator_host',
  help: `1 when the coordinator ran its host check on this node within the last ${COORDINATOR_HOST_WINDOW_MS / 1000} s, else 0`,
  labelNames: ['node'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [node, at] of coordinatorSeen) this.set({ node }, Date.now() - at <= COORDINATOR_HOST_WINDOW_MS ? 1 : 0);
  },
});

/** A backup attempt on this node committed its snapshot. */
export function recordBackupCommitted(b: { cluster: string; app: string; seconds: number; bytes: number }): void {
  backupDuration.observe({ cluster: b.cluster, app: b.app }, b.seconds);
  backupBytes.inc({ cluster: b.cluster, app: b.app }, b.bytes);
}

/** The catalog closed a backup attempt with `outcome` (succeeded, failed, timed-out, moved, ...). */
export function recordAttemptEnded(cluster: string, outcome: string): void {
  attempts.inc({ cluster, outcome });
}

/** A verify of `drive` of `cluster` on this node finished and found `errors` errors. */
export function recordVerifyFinished(cluster: string, drive: string, errors: number): void {
  verifyErrors.inc({ cluster, drive }, errors);
}

/** Starts the failure counter at 0 for each app: an alert's increase() sees the first failure too. */
export function zeroRestoreTestFailures(cluster: string, apps: string[]): void {
  for (const app of apps) restoreTestFailures.inc({ cluster, app }, 0);
}

/** A restore test of `app` of `cluster` was recorded as failed here. */
export function recordRestoreTestFailed(cluster: string, app: string): void {
  restoreTestFailures.inc({ cluster, app });
}

/** The coordinator just checked its host on `node` (a local activity of its tick, run where it runs). */
export function recordCoordinatorHostCheck(node: string, at = Date.now()): void {
  coordinatorSeen.set(node, at);
}

/** Makes `node`'s coordinator gauge exist (at 0) before the coordinator first runs there. */
export function registerNode(node: string): void {
  if (!coordinatorSeen.has(node)) coordinatorSeen.set(node, 0);
}
