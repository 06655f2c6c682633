/** The primary coordinator's state as it travels: its query answer and its continue-as-new input. */
import type { JobEntry, JobState } from './backup';
import type { ClusterPlan } from './plan';

/**
 * Events after which a run of the coordinator continues as new (the patch coordinator-short-runs,
 * src/workflows/coordinator.ts); bench/scale measures its hand-overs from there.
 */
export const COORDINATOR_RUN_EVENTS = 300;

export interface CoordinatorSnapshot {
  plan: ClusterPlan;
  /** Where each app runs, as last reported by the cluster service; null when nowhere. */
  hosts: Record<string, string | null>;
  clusterVersion: string | null;
  /** The node whose worker ran the coordinator's latest observation; null before the first. */
  host: string | null;
  running: JobEntry[];
  recent: JobEntry[];
  /** Workflow-clock ms of the last job ID issued, so two IDs never collide. */
  lastJobIdMs: number;
  /** Set while the cluster service does not answer: the coordinator runs on its last view. */
  clusterUnreachable?: ClusterOutage;
  /** Workflow-clock ms of the next check of running jobs against Temporal's own view. */
  nextReconcileMs?: number;
  /** Retention per drive (by name): set once an app with a keep policy backed up there. */
  retention?: Record<string, DriveRetention>;
  /**
   * The node the coordinator last left in a hand-over (its cluster service still reported it up),
   * and when (workflow-clock ms): watched for HANDOVER_WATCH_SECONDS, since a node that died is
   * reported down only once its cluster service noticed.
   */
  handedOver?: { from: string; atMs: number };
}

/** One drive's retention: the apps waiting for a job, and the job running there (one at a time). */
export interface DriveRetention {
  apps: string[];
  running: { jobId: string; startedMs: number } | null;
}

/** The cluster service stopped answering the coordinator: since when, and what it said last. */
export interface ClusterOutage {
  since: string;
  error: string;
  /** Observations failed in a row. */
  failures: number;
}

/** A job the reconcile found dead in Temporal (terminated, timed out...) and closed. */
export interface ClosedJob {
  jobId: string;
  state: JobState;
  error: string;
}

/** "cluster service unreachable since <time> (<n> failed observations): <error>" */
export function unreachableLine(outage: ClusterOutage): string {
  const n = outage.failures === 1 ? '1 failed observation' : `${outage.failures} failed observations`;
  return `cluster service unreachable since ${outage.since} (${n}): ${outage.error}`;
}
