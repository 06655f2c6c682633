/**
 * The one interface every cluster service adapter implements. Baton never asks the HA stack
 * anything else: where apps run, which nodes are up, and a version that changes whenever either
 * does. Adapters: static (a JSON map file, for the demo and tests) and pacemaker (crm_mon).
 */

import type { ClusterSnapshot } from '../model/cluster';
import { BatonError } from '../model/errors';

export interface ClusterAdapter {
  readonly kind: string;
  /** Reads the whole cluster state now. Throws ClusterUnavailableError when the service cannot be asked. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Optional push notifications; returns a function that stops watching. */
  watch?(onChange: (snapshot: ClusterSnapshot) => void): () => void;
}

export class ClusterUnavailableError extends BatonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
