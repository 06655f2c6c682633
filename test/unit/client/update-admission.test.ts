/**
 * Admission alone: no more calls run at once than its limit, the rest run in the order they came,
 * a failed call frees its slot as a finished one does, a call aborted while it waits never runs;
 * the limit halves when the server is full (at most once a second) and grows back with answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Admission,
  HALVE_EVERY_MS,
  UPDATES_PER_PROCESS,
  coordinatorUpdates,
} from '../../../src/client/update-admission';

const tick = () => new Promise((r) => setTimeout(r, 1));

test('at most `limit` calls run at once; the others start in the order they came', async () => {
  const admission = new Admission(3);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const call = (i: number) => async () => {
    started.push(i);
    most = Math.max(most, ++running);
    await tick();
    running--;
    return i;
  };
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => admission.run(call(i))));
  assert.deepEqual(results, [...Array(20).keys()]);
  assert.equal(most, 3);
  assert.deepEqual(started, [...Array(20).keys()], 'first come, first served');
  assert.deepEqual(admission.load, { running: 0, waiting: 0 });
});

test('a call that fails frees its slot for the next', async () => {
  const admission = new Admission(1);
  const failing = admission.run(() => Promise.reject(new Error('refused')));
  const next = admission.run(() => Promise.resolve('ok'));
  await assert.rejects(failing, /refused/);
  assert.equal(await next, 'ok');
  assert.deepEqual(admission.load, { running: 0, waiting: 0 });
});

test('a call whose signal aborts while it waits never runs, and leaves the line as it was', async () => {
  const admission = new Admission(1);
  let release = () => undefined as void;
  const holding = admission.run(() => new Promise<string>((ok) => (release = () => ok('held'))));
  const cancel = new AbortController();
  let ran = false;
  const cancelled = admission.run(() => {
    ran = true;
    return Promise.resolve('ran');
  }, cancel.signal);
  const after = admission.run(() => Promise.resolve('after'));
  assert.deepEqual(admission.load, { running: 1, waiting: 2 });
  cancel.abort(new Error('activity cancelled'));
  await assert.rejects(cancelled, /activity cancelled/);
  assert.deepEqual(admission.load, { running: 1, waiting: 1 });
  release();
  assert.equal(await holding, 'held');
  assert.equal(await after, 'after');
  assert.equal(ran, false);
  assert.deepEqual(admission.load, { running: 0, waiting: 0 });
  // a signal aborted before the call asks is refused at once
  await assert.rejects(
    admission.run(() => Promise.resolve('x'), AbortSignal.abort(new Error('already'))),
    /already/,
  );
});

test('coordinator updates share one admission of UPDATES_PER_PROCESS, under the server’s 100', () => {
  assert.equal(coordinatorUpdates.limit, UPDATES_PER_PROCESS);
  assert.ok(UPDATES_PER_PROCESS < 100);
});

test('the server being full halves the limit, at most once a second, never below one', () => {
  let now = 0;
  const admission = new Admission(32, () => now);
  admission.congested();
  assert.equal(admission.limit, 16);
  // one overload aborts many updates at once: their reports within the second count once
  admission.congested();
  now += HALVE_EVERY_MS - 1;
  admission.congested();
  assert.equal(admission.limit, 16);
  for (const want of [8, 4, 2, 1, 1]) {
    now += HALVE_EVERY_MS;
    admission.congested();
    assert.equal(admission.limit, want);
  }
});

test('answers grow the limit by one per limit’s worth, back to the most, and let waiting calls in', async () => {
  let now = 0;
  const admission = new Admission(4, () => now);
  admission.congested();
  now += HALVE_EVERY_MS;
  admission.congested();
  assert.equal(admission.limit, 1);
  // one running, two waiting: the limit of one holds them back
  let release = () => undefined as void;
  const first = admission.run(() => new Promise<void>((ok) => (release = ok)));
  let ran = 0;
  const count = () => Promise.resolve(void ran++);
  const later = [admission.run(count), admission.run(count)];
  assert.deepEqual(admission.load, { running: 1, waiting: 2 });
  release();
  await Promise.all([first, ...later]);
  assert.equal(ran, 2);
  // three answers at a limit of one: 1 -> 2 -> 2.5 -> 2.9
  assert.equal(admission.limit, 2);
  for (let i = 0; i < 40; i++) await admission.run(() => Promise.resolve());
  assert.equal(admission.limit, 4, 'never past the most');
  // a failed call is no answer to grow on, and frees its slot as before
  const atMost = new Admission(4, () => now);
  atMost.congested();
  await assert.rejects(atMost.run(() => Promise.reject(new Error('refused'))));
  assert.equal(atMost.limit, 2);
});

test('a narrowed limit admits no new call while as many or more still run', async () => {
  const admission = new Admission(4, () => 0);
  const releases: (() => void)[] = [];
  const hold = () => admission.run(() => new Promise<void>((ok) => releases.push(ok)));
  const running = [hold(), hold(), hold(), hold()];
  admission.congested();
  assert.equal(admission.limit, 2);
  const waiting = hold();
  // each answer grows the window a little (2 -> 2.5 -> 2.9): three and then two still run
  for (const [k, left] of [
    [0, 3],
    [1, 2],
  ]) {
    releases[k]();
    await running[k];
    assert.deepEqual(admission.load, { running: left, waiting: 1 });
  }
  // the third answer: one runs, the limit is 3 (window 3.24): the waiting call goes in
  releases[2]();
  await running[2];
  assert.deepEqual(admission.load, { running: 2, waiting: 0 });
  releases[3]();
  await tick();
  releases[4]();
  await Promise.all([running[3], waiting]);
  assert.deepEqual(admission.load, { running: 0, waiting: 0 });
});
