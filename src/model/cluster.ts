/**
 * What a cluster service reports: nodes, where apps run, and a version that changes whenever
 * either does. Plain JSON: a snapshot travels in workflow history.
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

/** Finds an app's host in a snapshot; null when the app is unknown or not running. */
export function hostOf(snapshot: ClusterSnapshot, app: string): string | null {
  return snapshot.apps.find((a) => a.name === app)?.host ?? null;
}

/**
 * "Something changed in the cluster", from the cluster service's alert hook (`baton cluster
 * notify`): the coordinator looks now instead of at its next tick.
 */
export interface ClusterChanged {
  source: string;
  kind: string;
  detail?: string;
}
