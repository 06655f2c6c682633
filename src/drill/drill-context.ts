/**
 * What every step of a drill works with (the cluster's config, the app, a Temporal client, the
 * catalog), and the few cluster waits both the driver and the scenarios use.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Catalog } from '../catalog/open';
import { coordinatorStatus } from '../client/coordinator-client';
import type { BatonConfig } from '../config/load';
import type { BackupJobResult } from '../model/backup';
import type { AppSpec } from '../model/plan';
import { waitFor } from '../util/wait';
import type { ClusterControl } from './cluster-control';

export interface DrillContext {
  config: BatonConfig;
  app: AppSpec;
  client: Client;
  catalog: Catalog;
  /** The cluster service, as the drill changes it. */
  control: ClusterControl;
  say: (line: string) => void;
}

/** Waits until the coordinator sees the app on `node` (the cluster service was just changed). */
export async function waitPlaced(c: DrillContext, node: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `the coordinator to see ${c.app.name} on ${node}`,
    async () => (await coordinatorStatus(c.client, c.config.cluster)).hosts[c.app.name] === node,
    timeoutMs,
    250,
  );
}

/** The job's end; a failed workflow is a failed result, not an error. */
export async function jobResult(c: DrillContext, jobId: string, timeoutMs: number): Promise<BackupJobResult> {
  // Aborted on the deadline: a long poll left running would fail after the drill closed its
  // connection, as an uncaught "Channel has been shut down" after the drill's answer.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    return await c.client.withAbortSignal(
      abort.signal,
      () => c.client.workflow.getHandle(jobId).result() as Promise<BackupJobResult>,
    );
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`job ${jobId} did not end within ${timeoutMs / 1000} s of the fault`);
    if (err instanceof WorkflowFailedError) {
      return { jobId, app: c.app.name, node: '', drive: '', state: 'failed', error: err.cause?.message ?? err.message };
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
