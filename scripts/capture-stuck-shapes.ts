/**
 * Captures what a real dev server says about a coordinator whose workflow task fails on every
 * try, for the unit tests of src/client/failed-task.ts (test/unit/client/fixtures/stuck-*.json):
 *   stuck-unhandled-failure: a coordinator started with no input, which throws in its first task
 *                            on the cluster's real node processes (cause WORKFLOW_WORKER_UNHANDLED_FAILURE);
 *   stuck-nondeterminism:    a coordinator that ran on the real node processes, whose nodes were
 *                            then replaced by a worker running test/replay/fixtures/coordinator-timer-added
 *                            (an unpatched change), which cannot replay its history (NON_DETERMINISTIC_ERROR).
 * For each: the describe response, the newest events (as the reverse history gives them), and the
 * errors the server gives an update, an update-with-start and a query. Run with
 * `node dist/scripts/capture-stuck-shapes.js` after a build.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { coordinatorStartOptions, ensureCoordinator } from '../src/client/coordinator-client';
import { newestEvents } from '../src/client/failed-task';
import { DRILL_APP } from '../src/demo/demo-files';
import { coordinatorQueue, coordinatorWorkflowId } from '../src/model/names';
import { waitFor } from '../src/util/wait';
import { configureUpdate, coordinatorStatusQuery, startBackupUpdate } from '../src/workflows/messages';
import { startLocalCluster, type LocalCluster } from '../test/helpers/local-cluster';

const out = resolve(__dirname, '..', '..', 'test', 'unit', 'client', 'fixtures');

/** An error and its causes, as plain data: name, message, and a gRPC error's code and details. */
function plain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err as Record<string, unknown> | undefined; e; e = e.cause as Record<string, unknown> | undefined) {
    chain.push({ name: e.name, message: e.message, code: e.code, details: e.details });
  }
  return chain;
}

async function errorOf(call: () => Promise<unknown>): Promise<unknown[]> {
  try {
    await call();
  } catch (err) {
    return plain(err);
  }
  throw new Error('the call to a stuck coordinator succeeded');
}

async function capture(cluster: LocalCluster, handle: WorkflowHandle, name: string): Promise<void> {
  await waitFor(
    'the workflow task to fail and be retried',
    async () => ((await handle.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 3,
    60_000,
  );
  const { config, client } = cluster;
  const shapes = {
    describe: ((await handle.describe()).raw as unknown as { toJSON(): unknown }).toJSON(),
    newestEvents: JSON.parse(historyToJSON({ events: await newestEvents(handle) })) as unknown,
    updateError: await errorOf(() =>
      handle.executeUpdate(startBackupUpdate, { args: [{ app: DRILL_APP, requestedBy: 'capture', full: false }] }),
    ),
    updateWithStartError: await errorOf(() =>
      client.workflow.executeUpdateWithStart(configureUpdate, {
        args: [config.plan],
        startWorkflowOperation: new WithStartWorkflowOperation('coordinator', {
          ...coordinatorStartOptions(config),
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        }),
      }),
    ),
    queryError: await errorOf(() => handle.query(coordinatorStatusQuery)),
  };
  const file = resolve(out, `stuck-${name}.json`);
  writeFileSync(file, JSON.stringify(shapes, null, 2) + '\n');
  console.log(`captured ${file}`);
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cluster = await startLocalCluster({ cluster: 'stuck' });
  try {
    const { config, client } = cluster;
    const id = coordinatorWorkflowId(config.cluster);
    const bad = await client.workflow.start('coordinator', {
      workflowId: id,
      taskQueue: coordinatorQueue(config.cluster),
      args: [null],
    });
    await capture(cluster, bad, 'unhandled-failure');
    await bad.terminate('captured');

    await ensureCoordinator(client, config, { tickSeconds: 1 });
    await new Promise((r) => setTimeout(r, 5000));
    for (const n of config.plan.nodes) cluster.signal(n.name, 'SIGKILL');
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../test/replay/fixtures/coordinator-timer-added'),
    });
    const connection = await NativeConnection.connect({ address: cluster.address });
    const worker = await Worker.create({
      connection,
      taskQueue: coordinatorQueue(config.cluster),
      workflowBundle,
      identity: 'capture@coordinator-timer-added',
    });
    await worker.runUntil(() => capture(cluster, client.workflow.getHandle(id), 'nondeterminism'));
    await client.workflow.getHandle(id).terminate('captured');
    await connection.close();
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
