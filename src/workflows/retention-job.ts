/**
 * A retention job on one drive, run by the backup service of the drive's node: forget what the
 * apps' keep policies do not keep, prune, mark the catalog (all in one node activity), record
 * the job in the catalog, and tell the coordinator that started it (if any) that it ended.
 */
import {
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention-activities';
import { describeFailure } from './describe-failure';
import { jobCatalog as catalog } from './job-catalog';
import { retentionFinishedSignal } from './messages';
import { nodeActivities } from './node-activities';
import { SEARCH_ATTRIBUTES } from '../model/names';
import type { RetentionJobInput, RetentionResult } from '../model/operations';
import { describeKeep, retentionEndMessage } from '../model/retention';

/** Records the end in the catalog and tells the coordinator; both must happen even when cancelled. */
async function finish(input: RetentionJobInput, result: RetentionResult): Promise<void> {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.state, value: result.state }]);
  await catalog.recordOperationFinished({
    cluster: input.cluster,
    jobId: input.jobId,
    kind: 'retention',
    node: input.node,
    state: result.state === 'succeeded' || result.state === 'cancelled' ? result.state : 'failed',
    files: result.outcome ? result.outcome.forgotten.length : null,
    bytes: result.outcome ? result.outcome.bytesFreed : null,
    location: input.drive.path,
    error: result.error ?? null,
    message: retentionEndMessage(result),
    data: result.outcome ?? null,
  });
  if (input.coordinatorId === null) return;
  try {
    await getExternalWorkflowHandle(input.coordinatorId).signal(retentionFinishedSignal, {
      jobId: input.jobId,
      drive: input.drive.name,
      state: result.state,
    });
  } catch (err) {
    log.warn('could not tell the coordinator', { coordinatorId: input.coordinatorId, error: String(err) });
  }
}

export async function retentionJob(input: RetentionJobInput): Promise<RetentionResult> {
  const { drive, node } = input;
  const apps = input.apps.map((a) => a.app);
  const result: RetentionResult = { jobId: input.jobId, state: 'running', drive: drive.name, node, apps };
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.state, value: 'running' },
    { key: SEARCH_ATTRIBUTES.node, value: node },
  ]);
  await catalog.recordOperationStarted({
    cluster: input.cluster,
    jobId: input.jobId,
    kind: 'retention',
    app: apps.join(','),
    node,
    drive: drive.name,
    requestedBy: input.requestedBy,
    message:
      `retention on drive ${drive.name} started on ${node}: ` +
      `${input.apps.map((a) => `${a.app} keeps ${describeKeep(a.keep)}`).join('; ')} (requested by ${input.requestedBy})`,
  });
  const service = nodeActivities<RetentionActivities>({ cluster: input.cluster, node }, input.settings, {
    kind: 'work',
    // A backup, restore or verify on the drive makes forget refuse (DriveLocked): try again later.
    retry: { maximumAttempts: 20, initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
    summary: `retention of ${apps.join(', ')} on drive ${drive.name} (${node})`,
  });
  try {
    result.outcome = await service.applyRetention({
      cluster: input.cluster,
      jobId: input.jobId,
      node,
      drive,
      apps: input.apps,
    });
    result.state = 'succeeded';
  } catch (err) {
    if (isCancellation(err)) {
      Object.assign(result, { state: 'cancelled', error: 'retention cancelled on request' });
      await CancellationScope.nonCancellable(() => finish(input, result));
      throw err;
    }
    Object.assign(result, { state: 'failed', error: describeFailure(err, node).message });
  }
  await finish(input, result);
  if (result.state === 'failed') {
    throw ApplicationFailure.nonRetryable(result.error ?? 'retention failed', 'RetentionFailed', result);
  }
  return result;
}
