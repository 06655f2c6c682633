/**
 * How long a node takes to replay a workflow's history it does not have cached, by history length:
 * the cost a node pays when it takes the coordinator over from a dead host (docs/drills.md, "Where
 * the time goes"). Fetches the current run's history of a running workflow, then replays prefixes
 * of it (each cut where a workflow task starts, as a worker would receive it) with the built
 * workflow bundle, each 3 times, and prints the median per length.
 *
 *   npm run build && node dist/bench/failover/replay-cost.js 127.0.0.1:7233 baton-coordinator-demo
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { loadavg } from 'node:os';
import { WORKFLOW_BUNDLE_PATH } from '../../src/workers/workflow-bundle';
import { median } from '../../src/drill/timings';

const LENGTHS = [50, 100, 200, 300, 500, 750, 1000, 2000, 4000];
const ROUNDS = 3;

type History = temporal.api.history.v1.IHistory;

/** The longest prefix of `history` with at most `n` events that ends with a started workflow task. */
function prefix(history: History, n: number): History | null {
  const events = history.events ?? [];
  for (let i = Math.min(n, events.length) - 1; i >= 0; i--) {
    if (events[i]?.workflowTaskStartedEventAttributes) return { events: events.slice(0, i + 1) };
  }
  return null;
}

async function main(): Promise<void> {
  const [address, workflowId, namespace = 'default'] = process.argv.slice(2);
  if (!address || !workflowId) {
    throw new Error(
      'usage: replay-cost.js TEMPORAL_ADDRESS WORKFLOW_ID [NAMESPACE], e.g. 127.0.0.1:7233 baton-coordinator-demo',
    );
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await Connection.connect({ address });
  const history = await new Client({ connection, namespace }).workflow.getHandle(workflowId).fetchHistory();
  await connection.close();
  const total = history.events?.length ?? 0;
  console.log(`${workflowId}: ${total} events in its current run; 1-minute load average ${loadavg()[0]?.toFixed(1)}`);
  const seen = new Set<number>();
  for (const n of LENGTHS) {
    const cut = prefix(history, n);
    const length = cut?.events?.length ?? 0;
    if (!cut || seen.has(length)) continue;
    seen.add(length);
    const ms: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now();
      await Worker.runReplayHistory({ workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }, cut, workflowId);
      ms.push(performance.now() - start);
    }
    console.log(
      `${length} events: replay ${Math.round(median(ms))} ms median (${ms.map((m) => Math.round(m)).join(', ')})`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(`replay-cost: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
