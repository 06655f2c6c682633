/** The primary coordinator's state as it travels: its query answer and its continue-as-new input. */
import type { JobEntry, JobState } from './backup';
import type { ClusterSnapshot } from './cluster';
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
  /**
   * The backup requests answered lately, by update ID, so a repeat that reaches a later run gets
   * the same job (src/workflows/answered-requests.ts). Absent in runs from before
   * COORDINATOR_ANSWERS_REPEATS.
   */
  answers?: AnsweredRequest[];
}

/** A backup request's answer, kept for a repeat of its update ID. */
export interface AnsweredRequest {
  updateId: string;
  jobId: string;
  node: string;
  drive: string;
  /** Workflow-clock ms of the answer. */
  atMs: number;
}

/** One drive's retention: the apps waiting for a job, and the job running there (one at a time). */
export interface DriveRetention {
  apps: string[];
  running: { jobId: string; startedMs: number } | null;
}

/**
 * What the node running the coordinator tells it by signal (hostReport) when its view changed:
 * the node, and what its cluster service says or why it did not answer. `ask` numbers the
 * coordinator's request, so a report from a node that froze mid-request and came back after
 * another node answered it is dropped.
 */
export type HostReport = { ask: number; node: string } & (
  | {
      /** The cluster service's view; without nodes and apps when the coordinator holds its version. */
      cluster: ClusterSnapshot;
    }
  | { error: string }
);

/** The coordinator's request for a host report (the reportHost local activity). */
export interface HostReportRequest {
  workflowId: string;
  runId: string;
  ask: number;
  /** The view the coordinator holds: a report comes only when this node sees another. */
  host: string | null;
  version: string | null;
  /** Whether the coordinator holds an outage: it hears of every failure, and of the recovery. */
  outage: boolean;
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
