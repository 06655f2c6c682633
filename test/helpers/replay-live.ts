/**
 * Replays the histories a live server holds against today's workflow bundle, as a worker that took
 * over a workflow would (a killed node, an evicted cache, a coordinator on its new host). The
 * committed histories in test/histories are recorded by scripts on the quiet paths; these are
 * whatever the tests' faults and timing produced, so a patch or a command whose place depends on
 * timing fails here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';

export interface ReplayFailure {
  workflowId: string;
  runId: string;
  error: string;
}

export interface ReplayOptions {
  /** a visibility query choosing the runs (default: every run the namespace lists) */
  query?: string;
  /** a directory to write each failing run's history to, as <workflow ID>-<run ID>.json */
  keep?: string;
}

/** Replays every workflow run the namespace lists; returns how many it replayed and which failed. */
export async function replayLiveHistories(
  address: string,
  namespace: string,
  { query, keep }: ReplayOptions = {},
): Promise<{ replayed: number; failures: ReplayFailure[] }> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const failures: ReplayFailure[] = [];
    let replayed = 0;
    for await (const wf of client.workflow.list(query ? { query } : undefined)) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      try {
        await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, history, wf.workflowId);
      } catch (err) {
        failures.push({ workflowId: wf.workflowId, runId: wf.runId, error: (err as Error).message });
        if (keep) writeFileSync(join(keep, `${wf.workflowId}-${wf.runId}.json`), historyToJSON(history));
      }
      replayed++;
    }
    return { replayed, failures };
  } finally {
    await connection.close();
  }
}
