/**
 * What the restore and verify workflows share: the query and progress handlers, the Web UI's
 * current details and search attributes, running the node's activity and recording the end, and
 * how an activity's failure reads in one line.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import { operationProgressSignal, operationViewQuery } from './messages';
import { SEARCH_ATTRIBUTES } from '../model/names';
import type { OperationTracker } from './operation-tracker';

export interface OperationShell {
  /** Updates the Web UI's current details when they changed. */
  show: () => void;
  /** Sets BatonState (and BatonNode when known) to the operation's state, and the details. */
  mark: () => void;
}

/** Sets the handlers (call before the first await) and returns the display helpers. */
export function operationShell(op: OperationTracker): OperationShell {
  let shown = '';
  const show = () => {
    const details = op.details();
    if (details !== shown) setCurrentDetails((shown = details));
  };
  setHandler(operationViewQuery, () => op.view());
  setHandler(operationProgressSignal, (progress) => {
    op.progress(progress);
    show();
  });
  const mark = () => {
    const { state, node } = op.view();
    upsertSearchAttributes([
      { key: SEARCH_ATTRIBUTES.state, value: state },
      ...(node !== null ? [{ key: SEARCH_ATTRIBUTES.node, value: node }] : []),
    ]);
    show();
  };
  show();
  return { show, mark };
}

/** One line saying why an activity of a restore or verify on `node` failed. */
export function describeFailure(err: unknown, node: string): { message: string; type: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    const message =
      cause.timeoutType === TimeoutType.HEARTBEAT
        ? `node ${node} stopped heartbeating (dead or cut off from Temporal)`
        : cause.timeoutType === TimeoutType.SCHEDULE_TO_START
          ? `no backup service picked the work up on node ${node} (is its node process running?)`
          : `node ${node} ran out of time`;
    return { message, type: 'NodeUnavailable' };
  }
  if (cause instanceof ApplicationFailure) return { message: cause.message, type: cause.type ?? 'Failed' };
  return { message: cause instanceof Error ? cause.message : String(cause), type: 'Failed' };
}

/**
 * Runs `call` (the node's activity, which hands its result to `op`), then `finish` (the catalog's
 * record of the end) with the search attributes set to the outcome. A failure becomes the
 * operation's error in one line; a cancellation is recorded too, then rethrown.
 */
export async function runOperation(
  op: OperationTracker,
  node: string,
  mark: () => void,
  call: () => Promise<void>,
  finish: () => Promise<void>,
): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (isCancellation(err)) {
      op.cancelled();
      await CancellationScope.nonCancellable(async () => {
        mark();
        await finish();
      });
      throw err;
    }
    op.failed(describeFailure(err, node).message);
  }
  mark();
  await finish();
}

/** Rethrows a cancellation as is; anything else becomes the operation's failure, in one line. */
export function failureOf(err: unknown, node: string): { message: string; type: string } {
  if (isCancellation(err)) throw err;
  return describeFailure(err, node);
}
