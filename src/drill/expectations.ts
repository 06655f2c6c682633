/**
 * What the restart drills must have made happen, checked against the catalog's record. Pure:
 * takes the attempts and facts the drill gathered, returns one sentence per unmet expectation.
 * Each scenario (scenarios/*.ts) states its own expectations with these.
 */
import type { DrillAttempt } from './report';

export interface DrillFacts {
  attempts: DrillAttempt[];
  /** The node the fault hit (the app's node, or the coordinator's host). */
  faultNode: string;
  /** Where the drill placed the app after the fault (null for coordinator-failover). */
  movedTo: string | null;
  coordinatorHostAfter: string | null;
  /** coordinator-failover: the coordinator acted again on its host's restarted process (DrillRun). */
  coordinatorStayed: boolean;
  fencedNode: string | null;
  /** The cluster service moves a lost node's apps by itself (ClusterControl.failureMovesApps). */
  serviceMovesApps: boolean;
}

/**
 * A restart: attempt 1 on the fault's node ended one of `outcomes`, attempt 2 succeeded where the
 * drill moved the app, with a restart decision and a higher epoch.
 */
export function restartProblems(f: DrillFacts, ...outcomes: string[]): string[] {
  if (f.attempts.length !== 2) return [`expected 2 attempts, the catalog has ${f.attempts.length}`];
  const problems: string[] = [];
  const [first, second] = f.attempts;
  if (first.node !== f.faultNode || !outcomes.includes(first.outcome ?? '')) {
    problems.push(
      `expected attempt 1 on ${f.faultNode} to end ${outcomes.join(' or ')}, it ran on ${first.node} and ended ${first.outcome}`,
    );
  }
  if (second.node !== f.movedTo || second.outcome !== 'succeeded') {
    problems.push(
      `expected attempt 2 to succeed on ${f.movedTo}, it ran on ${second.node} and ended ${second.outcome}`,
    );
  }
  if (!second.restart) problems.push('attempt 2 recorded no restart decision');
  if (second.epoch <= first.epoch)
    problems.push(`attempt 2's epoch ${second.epoch} is not above attempt 1's ${first.epoch}`);
  return problems;
}
