/**
 * The node's health as `/healthz` reports it: healthy while all its workers run and Temporal answered
 * within the last few seconds (the connectivity watch probes every second).
 */
import type { Worker } from '@temporalio/worker';
import type { Health } from '../metrics/metrics-server';
import type { ConnectivityWatch } from './connectivity';

/** Temporal unanswered this long makes the node unhealthy. */
export const TEMPORAL_SILENCE_MS = 5000;

export interface NodeHealthSource {
  node: string;
  /** The node's workers once created (empty while the node starts). */
  workers: () => Worker[];
  watch: Pick<ConnectivityWatch, 'msSinceReached'>;
}

export function nodeHealth({ node, workers, watch }: NodeHealthSource): Health {
  const states = workers().map((w) => w.getState());
  const running = states.length > 0 && states.every((s) => s === 'RUNNING');
  const silentMs = watch.msSinceReached();
  const reached = silentMs <= TEMPORAL_SILENCE_MS;
  return {
    ok: running && reached,
    node,
    workers: states.length > 0 ? states : 'starting',
    temporal: reached ? 'reached' : `not reached for ${Math.round(silentMs / 1000)} s`,
  };
}
