/**
 * A restore test of one app (docs/operations.md, Restore tests), started by its schedule or by
 * `baton restore-test run`: find the app's latest snapshot (catalog) and its host (cluster
 * service), record the run, have the host restore the snapshot (or a sample seeded here and
 * recorded) into fresh scratch space and compare it with the snapshot, record how it ended, and
 * fail when anything differed or the restore failed. The node removes its scratch directory
 * whichever way it ends; after a failure or a cancellation the workflow asks it again, in case
 * the node died mid-way. Wiring only: the verdict is model/restore-test.ts's.
 */
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { CatalogActivities } from '../activities/catalog-activities';
import type { HostActivities } from '../activities/host-activities';
import type { RestoreTestActivities, RestoreTestCatalogActivities } from '../activities/restore-test-activities';
import type { SnapshotSource } from '../model/operations';
import {
  describeSample,
  restoreTestVerdict,
  type RestoreTestInput,
  type RestoreTestOutcome,
  type RestoreTestResult,
} from '../model/restore-test';
import { describeFailure } from './describe-failure';
import { nodeActivities } from './node-activities';

const catalog = proxyActivities<CatalogActivities & RestoreTestCatalogActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s' },
});

const cluster = proxyActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s', maximumAttempts: 10 },
});

type Located =
  { source: SnapshotSource; node: string } | { problem: string; node: string | null; source: SnapshotSource | null };

/** The latest snapshot and the app's host, or why there is nothing to test. */
async function locate(input: RestoreTestInput): Promise<Located> {
  let source: SnapshotSource;
  try {
    source = await catalog.resolveRestoreSource({ app: input.app, snapshotId: null });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { problem: describeFailure(err, 'the catalog').message, node: null, source: null };
  }
  const node = await cluster.appHost(input.app);
  if (node === null) {
    return {
      problem: `app ${input.app} runs on no node now, so no node sees its drive to test a restore on`,
      node,
      source,
    };
  }
  return { source, node };
}

export async function restoreTest(input: RestoreTestInput): Promise<RestoreTestResult> {
  const runId = workflowInfo().workflowId;
  // Math.random is seeded per run in a workflow: the same on replay, recorded in the row.
  const seed = Math.floor(Math.random() * 2 ** 31);
  const located = await locate(input);
  const { node, source } = located;
  const result = (state: RestoreTestResult['state'], message: string, files = 0, bytes = 0): RestoreTestResult => ({
    runId,
    app: input.app,
    node,
    snapshotId: source?.snapshotId ?? null,
    state,
    files,
    bytes,
    message,
  });
  await catalog.recordRestoreTestStarted({
    id: runId,
    cluster: input.cluster,
    app: input.app,
    node: node ?? '',
    drive: source?.drive ?? '',
    snapshotId: source?.snapshotId ?? '',
    requestedBy: input.requestedBy,
    sample: input.sample ? JSON.stringify(input.sample) : null,
    seed,
    message: `restore test of ${input.app}: ${describeSample(input.sample)} (requested by ${input.requestedBy})`,
  });
  const end = (r: RestoreTestResult, path: string | null) =>
    catalog.recordRestoreTestFinished({
      id: runId,
      cluster: input.cluster,
      app: input.app,
      state: r.state === 'running' ? 'failed' : r.state,
      files: r.files,
      bytes: r.bytes,
      path,
      message: r.message,
    });
  if ('problem' in located)
    return fail(result('failed', `restore test of ${input.app} failed: ${located.problem}`), end);
  setCurrentDetails(
    `restore test of ${input.app} snapshot ${located.source.snapshotId.slice(0, 12)} on ${located.node}`,
  );
  return await onNode(input, { runId, seed, ...located }, result, end);
}

async function fail(
  r: RestoreTestResult,
  end: (r: RestoreTestResult, path: string | null) => Promise<void>,
  path: string | null = null,
): Promise<never> {
  setCurrentDetails(r.message);
  await end(r, path);
  throw ApplicationFailure.nonRetryable(r.message, 'RestoreTestFailed', r);
}

type Result = (state: RestoreTestResult['state'], message: string, files?: number, bytes?: number) => RestoreTestResult;

/** The node's part, and the end recorded whichever way it went. */
async function onNode(
  input: RestoreTestInput,
  run: { runId: string; seed: number; source: SnapshotSource; node: string },
  result: Result,
  end: (r: RestoreTestResult, path: string | null) => Promise<void>,
): Promise<RestoreTestResult> {
  const where = { cluster: input.cluster, node: run.node };
  const snap = run.source.snapshotId.slice(0, 12);
  const service = nodeActivities<RestoreTestActivities>(where, input.settings, {
    kind: 'work',
    retry: { maximumAttempts: 2, initialInterval: '2s' },
    summary: `restore test of ${input.app} snapshot ${snap}: ${describeSample(input.sample)}`,
  });
  const cleanup = () =>
    nodeActivities<RestoreTestActivities>(where, input.settings, {
      kind: 'check',
      summary: 'remove the scratch directory',
    })
      .removeRestoreTestScratch({ node: run.node, scratch: input.scratch, runId: run.runId })
      .catch(() => undefined);
  let outcome: RestoreTestOutcome;
  try {
    const rateLimit = input.settings.operationBandwidthLimitBytesPerSecond;
    outcome = await service.runRestoreTest({
      ...run,
      app: input.app,
      sample: input.sample,
      scratch: input.scratch,
      ...(rateLimit ? { rateLimit } : {}),
    });
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await cleanup();
        await end(result('cancelled', `restore test of ${input.app} snapshot ${snap} on ${run.node} cancelled`), null);
      });
      throw err;
    }
    await cleanup();
    return fail(
      result(
        'failed',
        `restore test of ${input.app} snapshot ${snap} failed: ${describeFailure(err, run.node).message}`,
      ),
      end,
    );
  }
  const verdict = restoreTestVerdict(input.app, run.source.snapshotId, outcome);
  const r = result(verdict.state, verdict.message, outcome.files, outcome.bytes);
  if (verdict.state === 'failed') return fail(r, end, verdict.path);
  setCurrentDetails(r.message);
  await end(r, null);
  return r;
}
