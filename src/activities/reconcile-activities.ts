/**
 * The coordinator's check of running jobs against Temporal's own view. A job terminated or timed
 * out from outside Baton runs no more code, so it never records its end: this activity asks
 * Temporal (describe) about every job the coordinator or the catalog holds running, and closes
 * in the catalog the ones that are over (catalog/dead-jobs.ts). An activity because it uses the
 * Temporal client; it runs on the coordinator queue like the catalog's.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { closeDeadJob, liveJobIds } from '../catalog/dead-jobs';
import type { Catalog } from '../catalog/open';
import type { ClosedJob } from '../model/coordinator';

/** Temporal's status names of a workflow that runs no more. */
const OVER = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

export interface ReconcileInput {
  cluster: string;
  /** The jobs the coordinator believes run. */
  running: string[];
  /** The coordinator's node, for the events. */
  node: string | null;
}

export function createReconcileActivities(deps: { client: Client; catalog: Catalog }) {
  /** Temporal's status name of a job's workflow; NOT_FOUND when it has none. */
  async function statusOf(jobId: string): Promise<string> {
    try {
      return (await deps.client.workflow.getHandle(jobId).describe()).status.name;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
      throw err;
    }
  }

  return {
    /** Closes every job whose workflow is over; returns them, as the catalog now records them. */
    async reconcileJobs(input: ReconcileInput): Promise<ClosedJob[]> {
      const ids = new Set([...input.running, ...(await liveJobIds(deps.catalog, input.cluster))]);
      const closed: ClosedJob[] = [];
      for (const jobId of ids) {
        const status = await statusOf(jobId);
        if (!OVER.has(status) && status !== 'NOT_FOUND') continue;
        const dead = { cluster: input.cluster, jobId, status, node: input.node };
        closed.push(await closeDeadJob(deps.catalog, dead, new Date().toISOString()));
      }
      return closed;
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
