/**
 * A restore of one app's snapshot onto a node, run by that node's backup service. First the
 * request is checked (the snapshot in the catalog, the node: by default the app's current host as
 * the cluster service reports it, and the target on that node); a refusal ends the workflow having
 * written nothing. Then the catalog records the restore, the node restores with progress, and the
 * catalog records how it ended. Wiring only; OperationTracker holds the state.
 */
import { ActivityCancellationType, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { HostActivities } from '../activities/host-activities';
import type { OperationActivities } from '../activities/operation-activities';
import { nodeQueue } from '../model/names';
import { failureOf, operationShell, runOperation } from './operation-shell';
import { OperationTracker } from './operation-tracker';
import { shortId } from '../model/format';
import type { OperationResult, RestoreJobInput, SnapshotSource } from '../model/operations';
import { jobCatalog as catalog } from './job-catalog';

const cluster = proxyActivities<HostActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '5s', maximumAttempts: 10 },
});

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
  const settings = input.settings;

  /** Ends the workflow on a refused request: nothing was recorded or written. */
  const refuse = (message: string, type: string): never => {
    op.failed(message);
    mark();
    throw ApplicationFailure.nonRetryable(message, type, op.result());
  };

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
    await proxyActivities<OperationActivities>({
      taskQueue: nodeQueue(node),
      scheduleToStartTimeout: `${settings.scheduleToStartTimeoutSeconds}s`,
      startToCloseTimeout: '30s',
      retry: { maximumAttempts: 1 },
      summary: `is ${input.target} on ${node} an empty or new directory?`,
    }).checkRestoreTarget({ node, target: input.target });
  } catch (err) {
    const { message, type } = failureOf(err, node);
    return refuse(message, type);
  }

  op.running();
  mark();
  const where = `${input.subtree ? ` (its ${input.subtree})` : ''} into ${input.target} on ${node}`;
  await catalog.recordOperationStarted({
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
  const service = proxyActivities<OperationActivities>({
    taskQueue: nodeQueue(node),
    // A node with no poller is caught here, a node that dies mid-restore by the heartbeat timeout.
    scheduleToStartTimeout: `${settings.scheduleToStartTimeoutSeconds}s`,
    startToCloseTimeout: '24h',
    heartbeatTimeout: `${settings.heartbeatTimeoutSeconds}s`,
    // Do not wait for a dead node to confirm; a live one stops within a second of hearing of it.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
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

  await runOperation(
    op,
    node,
    mark,
    async () =>
      op.restored(
        await service.restoreSnapshot({
          jobId: input.jobId,
          node,
          app: input.app,
          source,
          target: input.target,
          subtree: input.subtree,
        }),
      ),
    () => catalog.recordOperationFinished(end()),
  );
  const result = op.result();
  if (result.state === 'failed') {
    throw ApplicationFailure.nonRetryable(`restore of ${input.app} failed: ${result.error}`, 'RestoreFailed', result);
  }
  return result;
}
