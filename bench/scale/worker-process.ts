/**
 * One process of the scale benchmark's cluster, as many node services share a machine in it:
 *   node dist/bench/scale/worker-process.js <config> <records.jsonl> <backup-ms> [--coordinator] node...
 * One NativeConnection; with --coordinator, a worker on the coordinator queue with the real
 * workflows and the real catalog, host, schedule and reconcile activities, and one on the waits
 * queue (as a node process has);
 * then one worker per named node on that node's queue, running the stand-in backup
 * (stand-in-activities.ts). Each attempt's start is appended to <records.jsonl>. SIGINT or SIGTERM
 * shuts every worker down and exits. The SDK logs errors only: a job waiting for its drive's lease
 * (DriveBusy, retried) is normal here, ten apps share a node's drive.
 *
 * With BATON_SCALE_BURST_APPS (apps, comma-separated), the process is also one of several senders
 * of a burst (run.ts, BATON_SCALE_BURST_FROM): on SIGUSR2 it asks for a backup of each of those
 * apps at once, through the client BATON_SCALE_BURST_CLIENT names (`native`: the workers'
 * NativeConnection, as a node's activities send; `grpc`: a connection of its own as the CLI's,
 * connect.ts), writes each request's outcome as a JSON line to BATON_SCALE_BURST_OUT and prints
 * "burst done".
 *
 * BATON_SCALE_COORDINATOR_SLOTS caps the activities the coordinator-queue worker runs at once (the
 * SDK's default, as a node process has, is 100): a test crowds a small cluster's slots with it.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { openCatalog } from '../../src/catalog/open';
import { connect } from '../../src/client/connect';
import { loadConfig, type BatonConfig } from '../../src/config/load';
import { coordinatorQueue, nodeQueue } from '../../src/model/names';
import { coordinatorQueueActivities, waitWorkerOptions } from '../../src/workers/node-process';
import { workflowSource } from '../../src/workers/workflow-bundle';
import { createStandInActivities } from './stand-in-activities';
import { sendRequest, type Requested } from './requested';

async function main(): Promise<void> {
  const [configFile, records, backupMs, ...rest] = process.argv.slice(2);
  const coordinator = rest.includes('--coordinator');
  const nodes = rest.filter((a) => a !== '--coordinator');
  // the SDK's own shutdown signals include SIGUSR2, which starts a burst here
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'] });
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
        ...(process.env.BATON_SCALE_COORDINATOR_SLOTS
          ? { maxConcurrentActivityTaskExecutions: Number(process.env.BATON_SCALE_COORDINATOR_SLOTS) }
          : {}),
      }),
      await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        ...waitWorkerOptions(config.cluster, client),
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
  const burstApps = process.env.BATON_SCALE_BURST_APPS;
  if (burstApps) {
    process.once('SIGUSR2', () => {
      burst(config, client, burstApps.split(',')).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
    });
  }
  console.log(`ready: ${workers.length} workers`);
  await Promise.all(workers.map((w) => w.run()));
  await catalog.destroy();
  await connection.close();
}

/** Asks for a backup of each of `apps` at once; writes the outcomes to BATON_SCALE_BURST_OUT. */
async function burst(config: BatonConfig, nodeClient: Client, apps: string[]): Promise<void> {
  const kind = process.env.BATON_SCALE_BURST_CLIENT ?? 'native';
  const own = kind === 'grpc' ? await connect(config) : null;
  const client = own?.client ?? nodeClient;
  const requests = await Promise.all(
    apps.map(async (app) => {
      const r: Requested = { app, at: Date.now() };
      await sendRequest(client, config.cluster, app, r);
      return r;
    }),
  );
  writeFileSync(
    process.env.BATON_SCALE_BURST_OUT ?? 'burst.jsonl',
    requests.map((r) => JSON.stringify(r)).join('\n') + '\n',
  );
  await own?.close();
  console.log('burst done');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
