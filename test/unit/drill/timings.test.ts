import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeTimings, median, rereadBytes } from '../../../src/drill/timings';

const t0 = Date.parse('2026-11-27T02:00:00.000Z');
const at = (s: number) => new Date(t0 + s * 1000).toISOString();

test('restart timings run from the fault to attempt 1 ending, attempt 2 starting and its first checkpoint', () => {
  const timings = computeTimings({
    scenario: 'node-failure',
    faultAtMs: t0,
    attempts: [
      { number: 1, epoch: 1, started_at: at(-3), ended_at: at(4.5) },
      { number: 2, epoch: 2, started_at: at(6), ended_at: at(12) },
    ],
    checkpoints: [
      { epoch: 1, at: at(-1) },
      { epoch: 2, at: at(9) },
      { epoch: 2, at: at(8.25) },
    ],
    jobFinishedAt: at(12),
    secondWritingAt: at(6.75),
  });
  assert.deepEqual(timings, {
    fault_to_detection: 4.5,
    to_reroute: 6,
    to_resumed_writing: 8.25,
    to_writing_again: 6.75,
  });
});

test('with no checkpoint in attempt 2, writing resumes by the job end', () => {
  const timings = computeTimings({
    scenario: 'app-failover',
    faultAtMs: t0,
    attempts: [
      { number: 1, epoch: 1, started_at: at(-3), ended_at: at(0.3) },
      { number: 2, epoch: 2, started_at: at(0.5), ended_at: at(1.5) },
    ],
    checkpoints: [{ epoch: 1, at: at(-1) }],
    jobFinishedAt: at(1.6),
  });
  // no writingAt seen (an older node): writing again is unknown, not guessed
  assert.deepEqual(timings, {
    fault_to_detection: 0.3,
    to_reroute: 0.5,
    to_resumed_writing: 1.6,
    to_writing_again: null,
  });
});

test('coordinator failover: detection is the failover event, reroute the reconcile, then the next checkpoint', () => {
  const timings = computeTimings({
    scenario: 'coordinator-failover',
    faultAtMs: t0,
    attempts: [{ number: 1, epoch: 1, started_at: at(-3), ended_at: at(5) }],
    checkpoints: [
      { epoch: 1, at: at(-1) },
      { epoch: 1, at: at(1) },
      { epoch: 1, at: at(3) },
    ],
    coordinatorFailoverAt: at(1.9),
    reconciledAt: at(2),
    jobFinishedAt: at(5),
  });
  assert.deepEqual(timings, { fault_to_detection: 1.9, to_reroute: 2, to_resumed_writing: 3, to_writing_again: null });
});

test('a timing whose instant never came is null', () => {
  const timings = computeTimings({
    scenario: 'app-failover',
    faultAtMs: t0,
    attempts: [{ number: 1, epoch: 1, started_at: at(-3), ended_at: null }],
    checkpoints: [],
    jobFinishedAt: null,
  });
  assert.deepEqual(timings, {
    fault_to_detection: null,
    to_reroute: null,
    to_resumed_writing: null,
    to_writing_again: null,
  });
});

test('re-read bytes: last report minus the resumed checkpoint, all of it for a fresh restart, never negative', () => {
  assert.equal(rereadBytes(25_000_000, 16_000_000, true), 9_000_000);
  assert.equal(rereadBytes(25_000_000, 0, true), 25_000_000);
  assert.equal(rereadBytes(16_000_000, 17_000_000, true), 0);
  assert.equal(rereadBytes(25_000_000, null, false), 0);
  assert.equal(rereadBytes(null, 16_000_000, true), 0);
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
});
