/**
 * A committed attempt wins (docs/restart-policy.md): an attempt the workflow saw end `moved` is a
 * success when its outcome arrived with the move, or when the catalog, asked after fencing it off,
 * holds its commit; otherwise it stays moved and the job retries where the app went.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupOutcome } from '../../../src/model/backup';
import { JobAttempts } from '../../../src/workflows/job-attempts';

const outcome: BackupOutcome = {
  files: 3,
  bytes: 300,
  newBytes: 300,
  durationMs: 1000,
  snapshotId: 'a'.repeat(64),
  drive: '/san/d1',
  incomplete: false,
};
const moved = { kind: 'moved' as const, to: 'n2' };

const cases: { name: string; ran: BackupOutcome | null; committed: BackupOutcome | null; succeeded: boolean }[] = [
  // the completion first: the race returns succeeded and settleMoved is never asked; the same
  // activation: the move won the race, but the outcome is there
  { name: 'completion and move in one activation', ran: outcome, committed: null, succeeded: true },
  // the move first, the completion in flight: the attempt had committed, the catalog says so
  { name: 'move first, commit already recorded', ran: null, committed: outcome, succeeded: true },
  // the move first, no commit: fenced off, so it never will; the job retries on the new node
  { name: 'move first, no commit', ran: null, committed: null, succeeded: false },
];

for (const c of cases) {
  test(`settleMoved: ${c.name}`, () => {
    const end = JobAttempts.settleMoved(moved, c.ran, c.committed);
    if (c.succeeded) assert.deepEqual(end, { kind: 'succeeded', outcome });
    else assert.deepEqual(end, moved);
  });
}
