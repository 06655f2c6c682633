/**
 * `baton apply` from code: compares a config's plan with the running coordinator's, and (unless a
 * dry run, or nothing changed) hands it over by update-with-start, which starts the coordinator
 * when it is not running. Also what a node process does when it starts: start the coordinator
 * from its config when none runs, and say (never overwrite) when the running one's plan differs.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { BatonConfig } from '../config/load';
import type { CoordinatorSnapshot } from '../model/coordinator';
import { UserError } from '../model/errors';
import { coordinatorQueue, coordinatorWorkflowId } from '../model/names';
import { planDiff, removalsInUse, type PlanChange } from '../model/plan-diff';
import { coordinatorStatusQuery } from '../workflows/messages';
import type { coordinator } from '../workflows/coordinator';
import { coordinatorStartOptions, ensureCoordinator, type EnsureOptions } from './coordinator-client';

/** Workflow task queues, in the server's TaskQueueType enum (TASK_QUEUE_TYPE_WORKFLOW). */
const WORKFLOW_TASK_QUEUE = 1;

export interface ApplyOptions extends EnsureOptions {
  /** print the changes, apply nothing */
  dryRun?: boolean;
  /** how long to wait for the coordinator to answer, in ms (default 30 s) */
  timeoutMs?: number;
  /** how long to wait for a node process to poll the coordinator queue, in ms (default 0: look once) */
  waitForNodesMs?: number;
}

export interface ApplyOutcome {
  /** false: no coordinator was running (it was started, or would be in a dry run) */
  wasRunning: boolean;
  changes: PlanChange[];
  /** a dry run's refusals: removals that running jobs forbid (the coordinator would refuse them) */
  refusals: string[];
  /** true when the plan was sent (there were changes, or no coordinator ran, and no dry run) */
  applied: boolean;
}

function addressOf(client: Client): string {
  const options = (client.connection as { options?: { address?: string } }).options;
  return options?.address ?? 'the configured address';
}

/** Whether a node process polls the cluster's coordinator queue. */
async function nodesPoll(client: Client, config: BatonConfig): Promise<boolean> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    taskQueue: { name: coordinatorQueue(config.cluster) },
    taskQueueType: WORKFLOW_TASK_QUEUE,
  });
  return (answer.pollers ?? []).length > 0;
}

/** Refuses when no node process polls the coordinator queue (within `waitMs`): nobody would run the coordinator. */
async function requireNodes(client: Client, config: BatonConfig, waitMs: number): Promise<void> {
  const until = Date.now() + waitMs;
  for (;;) {
    if (await nodesPoll(client, config)) return;
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const queue = coordinatorQueue(config.cluster);
  throw new UserError(
    `no node process of cluster ${config.cluster} polls ${queue} at ${addressOf(client)}, so nothing would run the coordinator; ` +
      `start them first (\`baton node --name <node> --config ${config.file}\` on each of ${config.plan.nodes.map((n) => n.name).join(', ')}), then apply`,
  );
}

/** Runs `fn` with a deadline; past it, one line naming the address and what to check. */
async function withTimeout<T>(
  client: Client,
  config: BatonConfig,
  ms: number,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await client.connection.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    const name = (err as Error).name;
    const code = (err as { code?: number; cause?: { code?: number } }).cause?.code ?? (err as { code?: number }).code;
    if (name !== 'WorkflowUpdateRPCTimeoutOrCancelledError' && code !== 4 /* DEADLINE_EXCEEDED */) throw err;
    throw new UserError(
      `the coordinator of cluster ${config.cluster} at ${addressOf(client)} did not ${what} within ${ms / 1000} s; ` +
        `check that the node processes run and reach that server (\`baton status --config ${config.file}\`), then apply again`,
    );
  }
}

/** Whether the cluster's coordinator workflow is running. */
async function coordinatorRuns(client: Client, config: BatonConfig): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(coordinatorWorkflowId(config.cluster)).describe();
    return status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** The running coordinator's state, or null when none runs. */
export async function runningCoordinator(
  client: Client,
  config: BatonConfig,
  timeoutMs = 30_000,
): Promise<CoordinatorSnapshot | null> {
  if (!(await coordinatorRuns(client, config))) return null;
  const handle = client.workflow.getHandle(coordinatorWorkflowId(config.cluster));
  return withTimeout(client, config, timeoutMs, 'answer a status query', () => handle.query(coordinatorStatusQuery));
}

/**
 * Compares the config's plan with the running coordinator's and applies it (see the file's
 * comment). Needs a node process polling the coordinator queue, except for a dry run with no
 * coordinator running.
 */
export async function applyConfig(client: Client, config: BatonConfig, opts: ApplyOptions = {}): Promise<ApplyOutcome> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const runs = await coordinatorRuns(client, config);
  if (runs || !opts.dryRun) await requireNodes(client, config, opts.waitForNodesMs ?? 0);
  const running = runs ? await runningCoordinator(client, config, timeoutMs) : null;
  const changes = planDiff(running?.plan ?? null, config.plan);
  const refusals = running ? removalsInUse(config.plan, running.running) : [];
  const outcome = { wasRunning: running !== null, changes, refusals, applied: false };
  if (opts.dryRun || (running && changes.length === 0)) return outcome;
  await withTimeout(client, config, timeoutMs, 'take the plan', () => ensureCoordinator(client, config, opts));
  return { ...outcome, refusals: [], applied: true };
}

/**
 * What a node process does as it starts: starts the coordinator from `config` when none runs
 * (`started`), or leaves a running one as it is and says how its plan differs from `config`
 * (`changes`, from the running plan to the config's). Never sends a plan to a running coordinator.
 */
export async function coordinatorAtNodeStart(
  client: Client,
  config: BatonConfig,
): Promise<{ started: boolean; changes: PlanChange[] }> {
  try {
    await client.workflow.start<typeof coordinator>('coordinator', {
      ...coordinatorStartOptions(config),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    });
    return { started: true, changes: [] };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const running = await runningCoordinator(client, config);
  return { started: false, changes: running ? planDiff(running.plan, config.plan) : [] };
}
