/**
 * The restart decision: after an attempt ends early (its app moved, its node died), does the
 * next attempt continue from the last checkpoint or start fresh, and why. Pure; docs/restart-policy.md
 * states the rules.
 */
import type { CheckpointRef, RestartDecision } from '../model/backup';
import type { RestartPolicy } from '../model/plan';

export interface RestartInput {
  policy: RestartPolicy;
  maxCheckpointAgeSeconds: number;
  checkpoint: CheckpointRef | null;
  /** Workflow clock. */
  nowMs: number;
  /** What ended the previous attempt, e.g. "app moved from node-2 to node-3". */
  cause: string;
  /** Whether the next attempt's node can read the checkpoint's data; null when not checked. */
  readable: boolean | null;
  /** Why it cannot (the checkpoint's drive does not open there, the checkpoint does not open with its key). */
  problem?: string;
  nextNode: string;
}

function ageSeconds(checkpoint: CheckpointRef, nowMs: number): number {
  return Math.max(0, Math.round((nowMs - Date.parse(checkpoint.at)) / 1000));
}

export function decideRestart(i: RestartInput): RestartDecision {
  if (i.policy === 'fresh') return { kind: 'fresh', reason: `${i.cause}; the app's restart policy is fresh` };
  const cp = i.checkpoint;
  if (!cp) return { kind: 'fresh', reason: `${i.cause}; no checkpoint was taken yet` };
  if (i.readable === false) {
    return {
      kind: 'fresh',
      reason: `${i.cause}; node ${i.nextNode} cannot read the checkpoint's data written on ${cp.node}${i.problem ? `: ${i.problem}` : ''}`,
    };
  }
  const age = ageSeconds(cp, i.nowMs);
  if (i.policy === 'auto' && age > i.maxCheckpointAgeSeconds) {
    return {
      kind: 'fresh',
      reason: `${i.cause}; the last checkpoint is ${age} s old, older than the policy's ${i.maxCheckpointAgeSeconds} s`,
    };
  }
  return {
    kind: 'checkpoint',
    reason: `${i.cause}; resuming after ${cp.files} files (${cp.bytes} bytes) from the checkpoint taken ${age} s earlier on ${cp.node}`,
  };
}
