/**
 * Activities pinned to one node: the backup service of that node alone polls its queue, so the
 * work runs where the app's data (or the drive, or the restore target) is. Two kinds: a quick
 * check the node answers once, and long work that heartbeats while it runs.
 */
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import { nodeQueue } from '../model/names';
import type { JobSettings } from '../model/plan';

export type NodeCall =
  /** A question with one try: a wrong answer now is no better later. */
  | { kind: 'check'; summary: string }
  /** Work that runs up to a day, heartbeating; `retry` says how often it may start again. */
  | { kind: 'work'; summary: string; retry: RetryPolicy };

type NodeSettings = Pick<JobSettings, 'scheduleToStartTimeoutSeconds' | 'heartbeatTimeoutSeconds'>;

/** A node of a cluster: node names are unique within their cluster only. */
export interface NodeOf {
  cluster: string;
  node: string;
}

export function nodeActivityOptions(
  { cluster, node }: NodeOf,
  settings: NodeSettings,
  call: NodeCall,
): ActivityOptions {
  // A node with no poller (dead before it picked the task up) is caught here...
  const pinned = {
    taskQueue: nodeQueue(cluster, node),
    scheduleToStartTimeout: `${settings.scheduleToStartTimeoutSeconds}s`,
    summary: call.summary,
  };
  if (call.kind === 'check') return { ...pinned, startToCloseTimeout: '30s', retry: { maximumAttempts: 1 } };
  return {
    ...pinned,
    startToCloseTimeout: '24h',
    // ...and a node that dies mid-work here.
    heartbeatTimeout: `${settings.heartbeatTimeoutSeconds}s`,
    // Do not wait for a dead node to confirm the cancellation; a live one stops within a second of
    // hearing of it, and fencing stops a late backup's writes.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: call.retry,
  };
}

/** The activities of `A` as `where.node` (of `where.cluster`) runs them. */
export function nodeActivities<A extends object>(where: NodeOf, settings: NodeSettings, call: NodeCall) {
  return proxyActivities<A>(nodeActivityOptions(where, settings, call));
}
