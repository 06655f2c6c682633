/**
 * What a move of the coordinator to another node was, as far as the cluster service of its new
 * node can tell: a hand-over (the node it left is still up: its worker only missed a workflow task)
 * or a failover (the node it left is down, or not known to be up).
 *
 * The rule reads the cluster snapshot the new host's cluster service gave in the same observation,
 * and nothing else a workflow cannot know (whether the old node's worker still polls, whether its
 * Baton process lives): the previous node `online` or `standby` (a member the cluster service
 * counts as up; standby only keeps resources off it) is a hand-over; `offline`, `unknown`
 * (Pacemaker: an unclean node not yet fenced, a pending one) or not listed at all is a failover.
 *
 * What the cluster service does not know yet, the event cannot say: a SIGKILLed Baton process on a
 * node that stays up (the coordinator-failover drill, demo and Pacemaker alike) is a hand-over, and
 * so is a node that died shortly before, while its cluster service had not noticed yet (Pacemaker:
 * within the corosync token timeout). The event's reason says so; for the second case the
 * coordinator watches the node it left and records the failover once the node is reported down
 * (HANDOVER_WATCH_SECONDS, coordinator-state.ts; docs/restart-policy.md).
 */
import type { ClusterSnapshot, NodeState } from './cluster';

export type CoordinatorMoveKind = 'coordinator-handover' | 'coordinator-failover';

export interface CoordinatorMove {
  kind: CoordinatorMoveKind;
  /** The previous node's state in the snapshot; null when the snapshot does not list it. */
  fromState: NodeState | null;
  /** One line for the event's message: why this kind. */
  reason: string;
}

const UP: readonly NodeState[] = ['online', 'standby'];

/** Classifies a move of the coordinator from `from` by what `cluster` (its new host's view) says of `from`. */
export function coordinatorMove(from: string, cluster: ClusterSnapshot): CoordinatorMove {
  const fromState = cluster.nodes.find((n) => n.name === from)?.state ?? null;
  if (fromState !== null && UP.includes(fromState)) {
    return {
      kind: 'coordinator-handover',
      fromState,
      reason:
        `the cluster service reports ${from} ${fromState}: its worker missed the coordinator's workflow task ` +
        `(a loaded host, a lost connection to Temporal, or a Baton process that stopped while the node stays up)`,
    };
  }
  return {
    kind: 'coordinator-failover',
    fromState,
    reason:
      fromState === null
        ? `the cluster service does not list ${from}`
        : `the cluster service reports ${from} ${fromState}`,
  };
}

/** Whether an event kind records a move of the coordinator (hand-over or failover). */
export function isCoordinatorMove(kind: string): kind is CoordinatorMoveKind {
  return kind === 'coordinator-handover' || kind === 'coordinator-failover';
}
