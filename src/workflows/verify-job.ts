/**
 * A check of one drive by the backup service of a node that sees it (by default the drive's own
 * node): structure, and with readData every byte of every pack. The catalog records it; damage
 * fails the workflow with a message naming every damaged pack. Wiring only; OperationTracker
 * holds the state.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { OperationActivities } from '../activities/operation-activities';
import { nodeActivities } from './node-activities';
import { operationShell, runOperation } from './operation-shell';
import { OperationTracker } from './operation-tracker';
import type { OperationResult, VerifyJobInput } from '../model/operations';
import { jobCatalog as catalog } from './job-catalog';

export async function verifyJob(input: VerifyJobInput): Promise<OperationResult> {
  const { drive, node, settings } = input;
  const op = new OperationTracker({
    jobId: input.jobId,
    kind: 'verify',
    node,
    drive: drive.name,
    readData: input.readData,
  });
  const { mark } = operationShell(op);
  op.running();
  mark();
  await catalog.recordOperationStarted({
    cluster: input.cluster,
    jobId: input.jobId,
    kind: 'verify',
    app: '',
    node,
    drive: drive.name,
    requestedBy: input.requestedBy,
    message:
      `verify of drive ${drive.name} (${drive.path}) started on ${node}, ` +
      `${input.readData ? 'reading all data' : 'structure only'} (requested by ${input.requestedBy})`,
  });
  const service = nodeActivities<OperationActivities>({ cluster: input.cluster, node }, settings, {
    kind: 'work',
    retry: { maximumAttempts: 3, initialInterval: '2s' },
    summary: `verify drive ${drive.name} on ${node}${input.readData ? ', reading all data' : ''}`,
  });

  const end = () => {
    const v = op.view();
    return {
      cluster: input.cluster,
      jobId: input.jobId,
      kind: 'verify' as const,
      node,
      state: op.endState(),
      ...op.counts(),
      location: drive.path,
      error: v.error ?? null,
      message: op.endMessage(),
      data: v.verify ?? null,
    };
  };

  let type = 'VerifyFailed';
  await runOperation(
    op,
    node,
    mark,
    async () => {
      op.verified(
        await service.verifyDrive({
          jobId: input.jobId,
          node,
          drive,
          readData: input.readData,
          rateLimit: input.settings.operationBandwidthLimitBytesPerSecond ?? 0,
        }),
      );
      if (op.view().state === 'failed') type = 'DriveDamaged';
    },
    () => catalog.recordOperationFinished(end()),
  );
  const result = op.result();
  if (result.state === 'failed') throw ApplicationFailure.nonRetryable(result.error ?? 'verify failed', type, result);
  return result;
}
