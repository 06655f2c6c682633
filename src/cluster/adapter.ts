/**
 * The one interface every cluster service adapter implements. Baton never asks the HA stack
 * anything else: where apps run, which nodes are up, and a version that changes whenever either
 * does. Adapters: static (a JSON map file, for the demo and tests) and pacemaker (crm_mon).
 */

export type NodeState = 'online' | 'offline' | 'standby' | 'unknown';
export type AppState = 'started' | 'stopped' | 'failed' | 'moving' | 'unknown';

export interface ClusterNode {
  name: string;
  state: NodeState;
}

export interface ClusterApp {
  name: string;
  /** The node the app runs on now, or null when it runs nowhere. */
  host: string | null;
  state: AppState;
}

/** An authoritative view of the cluster at one moment. Plain JSON: it travels in workflow history. */
export interface ClusterSnapshot {
  /** Opaque; differs between two snapshots whenever nodes or apps differ. */
  version: string;
  /** ISO-8601 time the snapshot was read. */
  takenAt: string;
  nodes: ClusterNode[];
  apps: ClusterApp[];
}

export interface ClusterAdapter {
  readonly kind: string;
  /** Reads the whole cluster state now. Throws ClusterUnavailableError when the service cannot be asked. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Optional push notifications; returns a function that stops watching. */
  watch?(onChange: (snapshot: ClusterSnapshot) => void): () => void;
}

export class ClusterUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterUnavailableError';
  }
}

/** Finds an app's host in a snapshot; null when the app is unknown or not running. */
export function hostOf(snapshot: ClusterSnapshot, app: string): string | null {
  return snapshot.apps.find((a) => a.name === app)?.host ?? null;
}
