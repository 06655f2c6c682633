/** The primary coordinator's state as it travels: its query answer and its continue-as-new input. */
import type { JobEntry } from './backup';
import type { ClusterPlan } from './plan';

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
}
