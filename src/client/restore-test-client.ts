/**
 * Restore tests from code: start one now (the same workflow the app's schedule starts, its ID
 * from names.ts) and wait for how it ended.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import { SEARCH_ATTRIBUTES, coordinatorQueue, restoreTestWorkflowId } from '../model/names';
import type { AppSpec } from '../model/plan';
import {
  describeSample,
  restoreTestSettings,
  type RestoreTestInput,
  type RestoreTestResult,
  type SampleSpec,
} from '../model/restore-test';
import { WORKFLOW_TASK_TIMEOUT } from '../model/task-timeouts';

/** Starts a restore test of `app` now; `sample` overrides the app's configured one (undefined: keep it). */
export async function startRestoreTest(
  client: Client,
  config: BatonConfig,
  app: AppSpec,
  opts: { sample?: SampleSpec | null; requestedBy: string },
): Promise<string> {
  const sample = opts.sample !== undefined ? opts.sample : (app.restoreTest?.sample ?? null);
  const input: RestoreTestInput = {
    cluster: config.cluster,
    app: app.name,
    sample,
    scratch: app.restoreTest?.scratch ?? null,
    requestedBy: opts.requestedBy,
    settings: restoreTestSettings(config.plan.jobs),
  };
  const workflowId = restoreTestWorkflowId(config.cluster, app.name, Date.now());
  await client.workflow.start('restoreTest', {
    workflowId,
    taskQueue: coordinatorQueue(config.cluster),
    workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    args: [input],
    staticSummary: `Restore test of app ${app.name}, ${describeSample(sample)} (cluster ${config.cluster})`,
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.cluster, value: config.cluster },
      { key: SEARCH_ATTRIBUTES.app, value: app.name },
    ],
  });
  return workflowId;
}

/** How a restore test ended: its result, failed or not (a failure carries it as details). */
export async function restoreTestResult(client: Client, workflowId: string): Promise<RestoreTestResult> {
  try {
    return (await client.workflow.getHandle(workflowId).result()) as RestoreTestResult;
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
      const details = err.cause.details?.[0] as RestoreTestResult | undefined;
      if (details?.runId) return details;
    }
    if (err instanceof WorkflowFailedError) {
      throw new UserError(`restore test ${workflowId} ended without a result: ${err.cause?.message ?? err.message}`);
    }
    throw err;
  }
}
