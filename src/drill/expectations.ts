/**
 * What each drill must have made happen, checked against the catalog's record. Pure: takes the
 * attempts and facts the drill gathered, returns one sentence per unmet expectation.
 */
import type { DrillAttempt } from './report';
import type { Scenario } from './scenarios';

export interface DrillFacts {
  attempts: DrillAttempt[];
  /** The node the fault hit (the app's node, or the coordinator's host). */
  faultNode: string;
  /** Where the drill placed the app after the fault (null for coordinator-failover). */
  movedTo: string | null;
  coordinatorHostAfter: string | null;
  fencedNode: string | null;
}

export function expectationProblems(scenario: Scenario, f: DrillFacts): string[] {
  const problems: string[] = [];
  const [first, second] = f.attempts;
  const expectRestart = (...outcomes: string[]) => {
    if (f.attempts.length !== 2) {
      problems.push(`expected 2 attempts, the catalog has ${f.attempts.length}`);
      return;
    }
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
  };
  switch (scenario) {
    case 'app-failover':
      expectRestart('moved');
      break;
    case 'node-failure':
      expectRestart('timed-out');
      break;
    case 'fencing':
      // `moved` when the coordinator tells the job in time; `timed-out` when the stopped node also
      // held the coordinator or the job's workflow task and the heartbeat timeout came first.
      expectRestart('moved', 'timed-out');
      if (f.fencedNode !== f.faultNode) {
        problems.push(
          f.fencedNode === null
            ? `no write-fenced event from ${f.faultNode} after it woke up`
            : `the write-fenced event came from ${f.fencedNode}, not from the woken ${f.faultNode}`,
        );
      }
      break;
    case 'coordinator-failover':
      if (f.attempts.length !== 1 || first.outcome !== 'succeeded') {
        problems.push(
          `expected the job's one attempt to carry on and succeed, the catalog has ${f.attempts
            .map((a) => `attempt ${a.number} on ${a.node} ${a.outcome}`)
            .join(', ')}`,
        );
      }
      if (!f.coordinatorHostAfter || f.coordinatorHostAfter === f.faultNode) {
        problems.push(
          `the coordinator did not move off ${f.faultNode} (now on ${f.coordinatorHostAfter ?? 'no node'})`,
        );
      }
      break;
  }
  return problems;
}
