/**
 * The gRPC retries of Baton's client connections: the SDK's own (makeGrpcRetryInterceptor with
 * its defaults: UNAVAILABLE, RESOURCE_EXHAUSTED and the like, 10 tries backing off to 5 s), except
 * for an update the server answers "workflow is closing".
 *
 * That answer (RESOURCE_EXHAUSTED, cause BUSY_WORKFLOW) comes when the run an update is addressed
 * to is continuing as new: the server aborts every update the run has not accepted yet. Sent to
 * the workflow, the server itself hands such an update to the next run. Sent to one run, as
 * sendStartBackup does (coordinator-update.ts), it is that run's last word on the update ID: every
 * repeat gets it again. The SDK's retry would repeat it ten times over some 40 s (a backup request
 * took 49.8 s and then failed, in 1 of 15 tries on a coordinator continuing as new every second);
 * passed up at once, the caller sends it to the next run.
 *
 * It also tells the process's admission of coordinator updates (update-admission.ts) each time the
 * server refuses an update for its limit in flight or aborts one: the SDK retries those as before,
 * and the process sends fewer at once for a while.
 */
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import { coordinatorUpdates } from './update-admission';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];
type Status = Parameters<ReturnType<typeof defaultGrpcRetryOptions>['retryableDecider']>[1];

/** gRPC's RESOURCE_EXHAUSTED. */
const RESOURCE_EXHAUSTED = 8;
const CLOSING = /workflow is closing/i;
const UPDATE_METHOD = /\/UpdateWorkflowExecution$/;
/** the calls that start an update or wait for its outcome */
const UPDATE_CALLS = /\/(UpdateWorkflowExecution|PollWorkflowExecutionUpdate)$/;
/** gRPC's UNAVAILABLE. */
const UNAVAILABLE = 14;
const IN_FLIGHT_LIMIT = /in-flight updates/i;
const ABORTED = /update was aborted/i;
const SDK_RETRY = defaultGrpcRetryOptions();

/** Whether `status` is the server's "workflow is closing" refusal. */
export function isClosingStatus(status: { code?: unknown; details?: unknown }): boolean {
  return status.code === RESOURCE_EXHAUSTED && typeof status.details === 'string' && CLOSING.test(status.details);
}

/**
 * Whether `err`, or an error it was caused by, is the server's "workflow is closing" refusal (a
 * Connection's gRPC error carries the words as `details`; read `message` too, for a
 * NativeConnection's).
 */
export function isWorkflowClosing(err: unknown): boolean {
  type Link = { cause?: unknown; code?: unknown; details?: unknown; message?: unknown };
  for (let e = err as Link | undefined; e; e = e.cause as Link | undefined) {
    if (isClosingStatus(e) || isClosingStatus({ code: e.code, details: e.message })) return true;
  }
  return false;
}

/**
 * Whether `status` says the workflow holds the server's limit of updates in flight: the refusal of
 * one more (RESOURCE_EXHAUSTED, "limit on number of concurrent in-flight updates has been
 * reached") or the abort of one it held (UNAVAILABLE, "Workflow Update was aborted.").
 */
export function isUpdateOverload(status: { code?: unknown; details?: unknown }): boolean {
  const details = typeof status.details === 'string' ? status.details : '';
  return (
    (status.code === RESOURCE_EXHAUSTED && IN_FLIGHT_LIMIT.test(details)) ||
    (status.code === UNAVAILABLE && ABORTED.test(details))
  );
}

/**
 * Whether the SDK's retry should try the call to `method` again after `status`; an update refused
 * or aborted for the limit in flight narrows the process's window of coordinator updates.
 */
export function retriesAfter(method: string, attempt: number, status: Status): boolean {
  if (UPDATE_CALLS.test(method) && isUpdateOverload(status)) coordinatorUpdates.congested();
  if (UPDATE_METHOD.test(method) && isClosingStatus(status)) return false;
  return SDK_RETRY.retryableDecider(attempt, status);
}

/** The interceptors of a Baton client connection: Connection.connect({ interceptors }). */
export function clientInterceptors(): Interceptor[] {
  const retry = (method: string) =>
    makeGrpcRetryInterceptor({
      delayFunction: SDK_RETRY.delayFunction,
      retryableDecider: (attempt, status) => retriesAfter(method, attempt, status),
    });
  return [(options, nextCall) => retry(options.method_definition.path)(options, nextCall)];
}
