/**
 * Load on a coordinator as an operator's tools put it there at their busiest: a backup request
 * every 200 ms (the given apps in turn) while a client asks its status every 5 ms (`baton status`,
 * health checks and the Web UI all query it). Used by scripts/coordinator-replay-stress.ts and
 * test/integration/coordinator-replays-under-load.test.ts, which then replay its runs.
 */
import type { Client } from '@temporalio/client';
import { requestBackup } from '../../src/client/coordinator-client';
import { coordinatorWorkflowId } from '../../src/model/names';
import { coordinatorStatusQuery } from '../../src/workflows/messages';

const REQUEST_EVERY_MS = 200;
const QUERY_EVERY_MS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stresses the cluster's coordinator for `ms`; returns how many backups it asked for and how many were refused. */
export async function stressCoordinator(
  client: Client,
  cluster: string,
  apps: string[],
  ms: number,
  options: { queries: boolean },
): Promise<{ requests: number; refused: number }> {
  const handle = client.workflow.getHandle(coordinatorWorkflowId(cluster));
  let stop = false;
  const asking = (async () => {
    while (options.queries && !stop) {
      await handle.query(coordinatorStatusQuery).catch(() => undefined);
      await sleep(QUERY_EVERY_MS);
    }
  })();
  let requests = 0;
  let refused = 0;
  try {
    for (const until = Date.now() + ms; Date.now() < until; requests++) {
      await requestBackup(client, cluster, apps[requests % apps.length], 'stress').catch(() => refused++);
      await sleep(REQUEST_EVERY_MS);
    }
  } finally {
    stop = true;
    await asking;
  }
  return { requests, refused };
}
