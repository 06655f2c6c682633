/**
 * retryWhileDraining alone: which refusals it retries (the coordinator handing over, too many
 * updates in flight, a failed workflow task for up to 6 s, known by gRPC's FAILED_PRECONDITION),
 * that a run closing on a request starts its window again, and that anything else is thrown at once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { RunClosedBeforeTaking, isUpdatesInFlightRefusal, retryWhileDraining } from '../../../src/client/draining';
import { COORDINATOR_DRAINING } from '../../../src/workflows/messages';

/** A call that fails with `err` `times` times, then answers 'ok'; counts its calls. */
function flaky(err: Error, times: number) {
  const calls = { n: 0 };
  const call = () => (++calls.n <= times ? Promise.reject(err) : Promise.resolve('ok'));
  return { call, calls };
}

const wrapped = (cause: unknown) => Object.assign(new Error('update failed'), { cause });

test('a coordinator handing over to its next run is retried until it answers', async () => {
  const { call, calls } = flaky(wrapped(ApplicationFailure.retryable('handing over', COORDINATOR_DRAINING)), 3);
  assert.equal(await retryWhileDraining(call), 'ok');
  assert.equal(calls.n, 4);
});

test('too many updates in flight is retried', async () => {
  const exhausted = Object.assign(
    new Error('8 RESOURCE_EXHAUSTED: limit on number of concurrent in-flight updates has been reached (10)'),
    { code: 8 },
  );
  const { call, calls } = flaky(wrapped(exhausted), 2);
  assert.equal(await retryWhileDraining(call), 'ok');
  assert.equal(calls.n, 3);
  // recognised through the error that wraps it (the sender then narrows its window), and only it
  assert.ok(isUpdatesInFlightRefusal(wrapped(exhausted)));
  assert.ok(!isUpdatesInFlightRefusal(wrapped(Object.assign(new Error('in-flight updates'), { code: 14 }))));
  assert.ok(!isUpdatesInFlightRefusal(wrapped(Object.assign(new Error('too many requests'), { code: 8 }))));
});

test('a failed workflow task is retried for a while, then thrown', async () => {
  const failed = Object.assign(new Error('Workflow Task in failed state'), { code: 9 });
  const { call } = flaky(failed, 1);
  assert.equal(await retryWhileDraining(call), 'ok');
  const forever = flaky(failed, Infinity);
  const started = Date.now();
  await assert.rejects(retryWhileDraining(forever.call, 1500), /failed state/);
  assert.ok(Date.now() - started < 3000);
  assert.ok(forever.calls.n >= 3);
});

test('a run that closed while it held the request starts the window again, four windows at most', async () => {
  const closed = () =>
    new RunClosedBeforeTaking('run r1 closed before it took the request', {
      cause: ApplicationFailure.retryable('the coordinator continued as new', COORDINATOR_DRAINING),
    });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // held longer than the whole window by a run that then closed: the next run still gets a window
  let tries = 0;
  const heldThenOk = async () => {
    if (++tries > 1) return 'ok';
    await sleep(400);
    throw closed();
  };
  assert.equal(await retryWhileDraining(heldThenOk, 300), 'ok');
  assert.equal(tries, 2);
  // a handing-over refusal after such a wait is retried in the new window too
  const handing = wrapped(ApplicationFailure.retryable('handing over', COORDINATOR_DRAINING));
  let n = 0;
  const heldThenHanding = async () => {
    n++;
    if (n === 1) {
      await sleep(400);
      throw closed();
    }
    if (n === 2) throw handing;
    return 'ok';
  };
  assert.equal(await retryWhileDraining(heldThenHanding, 300), 'ok');
  // runs that keep closing on it: given up after four windows, not retried for ever
  const started = Date.now();
  const always = async () => {
    await sleep(150);
    throw closed();
  };
  await assert.rejects(retryWhileDraining(always, 300), RunClosedBeforeTaking);
  const took = Date.now() - started;
  assert.ok(took >= 900 && took < 2000, `gave up after ${took} ms`);
});

test('any other failure is thrown at once', async () => {
  const refused = wrapped(ApplicationFailure.nonRetryable('app "x" already has a backup running', 'AlreadyRunning'));
  const { call, calls } = flaky(refused, 5);
  await assert.rejects(retryWhileDraining(call), /update failed/);
  assert.equal(calls.n, 1);
});

test("update-with-start's refusal, as the dev server gave it, is retried by its code, not its words", async () => {
  const file = resolve(
    __dirname,
    '..',
    '..',
    '..',
    '..',
    'test',
    'unit',
    'client',
    'fixtures',
    'stuck-nondeterminism.json',
  );
  const [link] = (JSON.parse(readFileSync(file, 'utf8')) as { updateWithStartError: { message: string }[] })
    .updateWithStartError;
  const refusal = Object.assign(new Error(link.message), link);
  const { call, calls } = flaky(refusal, 1);
  assert.equal(await retryWhileDraining(call), 'ok');
  assert.equal(calls.n, 2);
  const words = flaky(new Error(link.message), 1);
  await assert.rejects(retryWhileDraining(words.call), /failed state/);
  assert.equal(words.calls.n, 1);
});
