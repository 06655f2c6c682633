/**
 * The shape of one drill: how it prepares the cluster, how it injects its fault, and what it
 * expects the catalog to show afterwards. The driver (run-drill.ts) runs any of them the same way.
 */
import { otherOnlineNode } from '../../demo/cluster-control';
import { UserError } from '../../model/errors';
import type { BackupJobResult } from '../../model/backup';
import type { DrillContext } from '../drill-context';
import type { DrillFacts } from '../expectations';
import type { DrillReport } from '../report';
import type { Scenario } from '../scenario-names';

/** Where things stand before the backup starts. */
export interface Placement {
  /** The app's node for the backup (prepare may have moved it off its home). */
  appNode: string;
  /** The coordinator's host, when the scenario needs to know it. */
  coordinatorBefore: string | null;
  /** Where the app goes after the fault; null only where the scenario moves no app. */
  target: string | null;
}

export interface FailoverEvent {
  at: string;
  node: string | null;
  message: string;
}

/**
 * One drill in progress. A scenario's inject fills it in as it goes, so when it throws half-way
 * the driver still knows what was changed (a killed node, a moved app) and can put it back.
 */
export interface DrillRun {
  readonly jobId: string;
  /** The node the job's first attempt runs on. */
  readonly jobNode: string;
  readonly target: string | null;
  /** Upper bound for the job to end after the fault. */
  readonly jobTimeoutMs: number;
  fault: DrillReport['fault'] | null;
  faultAtMs: number;
  /** Where the drill placed the app after the fault. */
  movedTo: string | null;
  /** A node process the drill killed; the demo's supervisor restarts it. */
  killed: { node: string; pid: number; markedOffline: boolean } | null;
  failoverEvent: FailoverEvent | null;
  /**
   * coordinator-failover: the killed host's process was restarted (by its supervisor) before the
   * coordinator's next workflow task and took it, so the coordinator acts again on the same node.
   */
  coordinatorStayed: boolean;
  fencedEvent: DrillReport['fenced_event'];
  result: BackupJobResult | null;
  coordinatorBefore: string | null;
  problems: string[];
  cleanup: string[];
}

export interface DrillScenario {
  readonly name: Scenario;
  /**
   * Restart faults land between checkpoints, once the attempt has read past its first one, so
   * the re-read is measured; false strikes at once after the first checkpoint.
   */
  readonly strikesPastCheckpoint: boolean;
  /** Checks and arranges the cluster before the backup; throws UserError when it cannot run. */
  prepare(c: DrillContext, home: string): Placement | Promise<Placement>;
  /** Injects the fault and waits for the job's end, recording what it did in `run`. */
  inject(c: DrillContext, run: DrillRun): Promise<void>;
  /** One sentence per unmet expectation. Pure. */
  expect(facts: DrillFacts): string[];
}

/** The app stays on its home node and fails over to another online node. */
export async function failoverPlacement(c: DrillContext, home: string): Promise<Placement> {
  const target = otherOnlineNode(await c.control.view(), [home, null]);
  if (!target) throw new UserError(`no other online node to fail ${c.app.name} over to; bring one online first`);
  return { appNode: home, coordinatorBefore: null, target };
}

/** The report's record of a fault injected at `atMs`. */
export function faultRecord(
  kind: string,
  node: string,
  pid: number | null,
  atMs: number,
  detail: string,
): DrillReport['fault'] {
  return { kind, node, pid, at: new Date(atMs).toISOString(), detail };
}
