/**
 * What the restore and verify workflows share: the query and progress handlers, the Web UI's
 * current details and search attributes, running the node's activity and recording the end.
 */
import {
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { describeFailure } from './describe-failure';
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
  const { message, type } = describeFailure(err, node);
  return { message, type };
}
