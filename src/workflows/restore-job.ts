/**
 * A restore of one app's snapshot onto a node, run by that node's backup service. First the
 * request is checked (the snapshot in the catalog, the node: by default the app's current host as
 * the cluster service reports it, and the target on that node); a refusal ends the workflow having
 * written nothing. Then the catalog records the restore, the node restores with progress, and the
 * catalog records how it ended. Wiring only; OperationTracker holds the state.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { HostActivities } from '../activities/host-activities';
import type { OperationActivities } from '../activities/operation-activities';
import { nodeActivities } from './node-activities';
import { failureOf, operationShell, runOperation } from './operation-shell';
import { OperationTracker } from './operation-tracker';
import { shortId } from '../model/format';
import type { OperationResult, RestoreJobInput, SnapshotSource } from '../model/operations';
import { jobCatalog as catalog } from './job-catalog';

const cluster = proxyActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s', maximumAttempts: 10 },
});

/** Where the restore reads from and writes to, once the request is checked. */
interface Located {
  source: SnapshotSource;
  node: string;
  /** " (its subtree) into target on node", for messages. */
  where: string;
}

/**
 * Checks the request: the snapshot in the catalog, the node (by default the app's current host),
 * the target on that node. A refusal ends the workflow (`refuse` throws) having written nothing.
 */
async function locate(
  input: RestoreJobInput,
  op: OperationTracker,
  mark: () => void,
  refuse: (message: string, type: string) => never,
): Promise<Located> {
  let source: SnapshotSource;
  try {
    source = await catalog.resolveRestoreSource({ app: input.app, snapshotId: input.snapshotId });
  } catch (err) {
    const { message, type } = failureOf(err, 'the catalog');
    return refuse(message, type);
  }
  const node = input.node ?? (await cluster.appHost(input.app));
  if (node === null) {
    return refuse(
      `app ${input.app} runs on no node now, so there is no default node to restore on; name one with --node`,
      'AppNotPlaced',
    );
  }
  op.located(node, source);
  mark();
  try {
    await nodeActivities<OperationActivities>({ cluster: input.cluster, node }, input.settings, {
      kind: 'check',
      summary: `is ${input.target} on ${node} an empty or new directory?`,
    }).checkRestoreTarget({ node, target: input.target });
  } catch (err) {
    const { message, type } = failureOf(err, node);
    return refuse(message, type);
  }
  const only = input.paths?.length ? ` (only ${input.paths.join(', ')})` : '';
  return {
    source,
    node,
    where: `${input.subtree ? ` (its ${input.subtree})` : ''}${only} into ${input.target} on ${node}`,
  };
}

function recordStarted(input: RestoreJobInput, { source, node, where }: Located): Promise<void> {
  return catalog.recordOperationStarted({
    cluster: input.cluster,
    jobId: input.jobId,
    kind: 'restore',
    app: input.app,
    node,
    drive: source.drive,
    requestedBy: input.requestedBy,
    message:
      `restore of ${input.app} snapshot ${shortId(source.snapshotId)} (${source.files} files, ${source.bytes} bytes, ` +
      `from drive ${source.drive}) started${where} (requested by ${input.requestedBy})`,
    data: { snapshotId: source.snapshotId, drive: source.drive, target: input.target, subtree: input.subtree },
  });
}

/** The node restores with progress; the catalog records how it ended, whichever way. */
async function restore(input: RestoreJobInput, op: OperationTracker, mark: () => void, located: Located) {
  const { source, node, where } = located;
  const service = nodeActivities<OperationActivities>({ cluster: input.cluster, node }, input.settings, {
    kind: 'work',
    // Only failures that can pass on another try are retryable; a retry finishes the partial target.
    retry: { maximumAttempts: 3, initialInterval: '2s' },
    summary: `restore ${input.app} snapshot ${shortId(source.snapshotId)}${where}`,
  });
  const end = () => {
    const v = op.view();
    const counts = op.counts();
    return {
      cluster: input.cluster,
      jobId: input.jobId,
      kind: 'restore' as const,
      node,
      state: op.endState(),
      files: counts.files,
      bytes: counts.bytes,
      location: `${node}:${input.target}`,
      error: v.error ?? null,
      message: op.endMessage(),
      data: v.restore ?? { snapshotId: source.snapshotId, progress: v.progress },
    };
  };
  const { jobId, app, target, subtree } = input;
  await runOperation(
    op,
    node,
    mark,
    async () =>
      op.restored(
        await service.restoreSnapshot({
          jobId,
          node,
          app,
          source,
          target,
          subtree,
          ...(input.paths?.length ? { paths: input.paths } : {}),
          // sent only when asked for: the activity's input stays as it was otherwise
          ...(input.noDevices ? { noDevices: true } : {}),
          ...(input.noSetuid ? { noSetuid: true } : {}),
          rateLimit: input.settings.operationBandwidthLimitBytesPerSecond ?? 0,
        }),
      ),
    () => catalog.recordOperationFinished(end()),
  );
}

export async function restoreJob(input: RestoreJobInput): Promise<OperationResult> {
  const op = new OperationTracker({
    jobId: input.jobId,
    kind: 'restore',
    app: input.app,
    node: input.node,
    target: input.target,
    subtree: input.subtree,
  });
  const { mark } = operationShell(op);

  /** Ends the workflow on a refused request: nothing was recorded or written. */
  const refuse = (message: string, type: string): never => {
    op.failed(message);
    mark();
    throw ApplicationFailure.nonRetryable(message, type, op.result());
  };

  const located = await locate(input, op, mark, refuse);
  op.running();
  mark();
  await recordStarted(input, located);
  await restore(input, op, mark, located);
  const result = op.result();
  if (result.state === 'failed') {
    throw ApplicationFailure.nonRetryable(`restore of ${input.app} failed: ${result.error}`, 'RestoreFailed', result);
  }
  return result;
}
