/**
 * How the drills reach a Pacemaker cluster's nodes. Moving an app and reading the cluster are
 * cluster-wide (crm_resource and crm_mon answer the same on any live node); stopping and starting
 * Pacemaker on one node has to happen on that node. The default, localPacemakerTools, runs the
 * cluster-wide tools on this machine and cannot stop a node; the Pacemaker test harness gives a way
 * into every node's namespaces (test/helpers/pacemaker-baton.ts).
 */

export interface PacemakerTools {
  /** The command line that runs `argv` on a live node of the cluster, other than those in `avoid`. */
  anywhere(argv: readonly string[], avoid: ReadonlySet<string>): string[];
  /** Why Pacemaker cannot be stopped and started on one node from here, or null when it can. */
  cannotStopNodes(): string | null;
  /** Stops Pacemaker on `node` (its apps move away); says how. */
  stopPacemaker(node: string): Promise<string>;
  /** Starts Pacemaker on `node` again; resolves once it was started (not yet online). */
  startPacemaker(node: string): Promise<void>;
  /** Who starts a killed Baton node process again, for the drill's messages. */
  readonly restarter: string;
}

const CANNOT_STOP =
  'node-failure on Pacemaker stops Pacemaker on the app’s node and starts it again afterwards, and baton drill ' +
  'has no way into another node to do that (it runs Pacemaker’s tools on this machine only); fail the node by ' +
  'hand instead (`crm_node`/`pcs cluster stop <node>`, or fence it) and follow the job with `baton status`';

/** Pacemaker's tools on this machine, as they are on PATH. */
export function localPacemakerTools(): PacemakerTools {
  return {
    anywhere: (argv) => [...argv],
    cannotStopNodes: () => CANNOT_STOP,
    stopPacemaker: () => Promise.reject(new Error(CANNOT_STOP)),
    startPacemaker: () => Promise.reject(new Error(CANNOT_STOP)),
    restarter: 'its service manager',
  };
}
