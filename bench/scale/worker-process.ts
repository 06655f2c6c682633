/**
 * One process of the scale benchmark's cluster, as many node services share a machine in it:
 *   node dist/bench/scale/worker-process.js <config> <records.jsonl> <backup-ms> [--coordinator] node...
 * One NativeConnection; with --coordinator, a worker on the coordinator queue with the real
 * workflows and the real catalog, host, schedule and reconcile activities (as a node process has);
 * then one worker per named node on that node's queue, running the stand-in backup
 * (stand-in-activities.ts). Each attempt's start is appended to <records.jsonl>. SIGINT or SIGTERM
 * shuts every worker down and exits. The SDK logs errors only: a job waiting for its drive's lease
 * (DriveBusy, retried) is normal here, ten apps share a node's drive.
 */
import { appendFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { openCatalog } from '../../src/catalog/open';
import { loadConfig } from '../../src/config/load';
import { coordinatorQueue, nodeQueue } from '../../src/model/names';
import { coordinatorQueueActivities } from '../../src/workers/node-process';
import { workflowSource } from '../../src/workers/workflow-bundle';
import { createStandInActivities } from './stand-in-activities';

async function main(): Promise<void> {
  const [configFile, records, backupMs, ...rest] = process.argv.slice(2);
  const coordinator = rest.includes('--coordinator');
  const nodes = rest.filter((a) => a !== '--coordinator');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfig(configFile);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const catalog = await openCatalog(config.catalogUrl);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const workers: Worker[] = [];
  if (coordinator) {
    const node = nodes[0] ?? 'coordinator-only';
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: coordinatorQueue(config.cluster),
        ...workflowSource(),
        activities: coordinatorQueueActivities(node, config, catalog, client),
        stickyQueueScheduleToStartTimeout: '1s',
      }),
    );
  }
  for (const node of nodes) {
    workers.push(
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: nodeQueue(config.cluster, node),
        identity: `${node}@scale:${process.pid}`,
        activities: createStandInActivities({
          node,
          catalog,
          durationMs: Number(backupMs),
          onStart: (s) => appendFileSync(records, `${JSON.stringify(s)}\n`),
        }),
        maxHeartbeatThrottleInterval: '1s',
        // a node runs one backup at a time on its one drive; a few pollers are plenty
        maxConcurrentActivityTaskPolls: 2,
      }),
    );
  }
  const stop = () => workers.forEach((w) => w.shutdown());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`ready: ${workers.length} workers`);
  await Promise.all(workers.map((w) => w.run()));
  await catalog.destroy();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
