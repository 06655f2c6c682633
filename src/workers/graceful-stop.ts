/**
 * How a node process stops on SIGTERM (or SIGINT): the Temporal SDK's runtime shuts the workers
 * down on the same signals (they stop polling and wait up to `graceMs` for running activities);
 * this signal tells the backup activities at once, so each takes a checkpoint at its next chance
 * and fails with NodeStopping, and the job resumes from that checkpoint where the app runs (or here
 * after a restart). An activity still running when the grace time ends is cancelled (the SDK's
 * WORKER_SHUTDOWN) and stops without a checkpoint.
 */
import type { Logger } from 'pino';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Seconds between checkpoints give the default grace time: by then a running backup has taken one. */
export function stopGraceMs(checkpointEverySeconds: number, given?: number): number {
  return (given ?? checkpointEverySeconds) * 1000;
}

export interface GracefulStop {
  /** Fires on the first SIGTERM or SIGINT. */
  signal: AbortSignal;
  /** The workers' options that wait `graceMs` for running activities, then cancel them. */
  workerOptions: { shutdownGraceTime: number; shutdownForceTime: number };
  /** Removes the signal handlers. */
  dispose(): void;
}

export function gracefulStop(logger: Logger, graceMs: number): GracefulStop {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    logger.info({ signal, graceMs }, 'node stopping: running backups checkpoint and stop, then the process exits');
    stop.abort();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  return {
    signal: stop.signal,
    workerOptions: { shutdownGraceTime: graceMs, shutdownForceTime: graceMs + 10_000 },
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
    },
  };
}
