/**
 * Admission alone: no more calls run at once than its limit, the rest run in the order they came,
 * a failed call frees its slot as a finished one does, a call aborted while it waits never runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admission, UPDATES_PER_PROCESS, coordinatorUpdates } from '../../../src/client/update-admission';

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
