/**
 * reportJobEnd alone, on a stand-in client: the job's end goes to the coordinator as the jobEnded
 * update under one ID per job; a coordinator that refuses it for longer than a moment is told by
 * the jobFinished signal instead; one that is not running is said, and sent nothing. While it
 * waits it heartbeats, so a node that dies meanwhile is found at the heartbeat timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createJobEndActivities, jobEndUpdateId, type JobEndReport } from '../../../src/activities/job-end-activities';
import type { JobFinished } from '../../../src/model/backup';

interface Sent {
  kind: 'update' | 'signal';
  name: string;
  id?: string;
  arg: unknown;
}

/** A coordinator whose updates are answered as `answer` says (after a while: accepted then); every update and signal is noted. */
function coordinator(answer: 'accepted' | 'refused' | { afterMs: number }, status = 'RUNNING') {
  const sent: Sent[] = [];
  const handle = {
    describe: () => Promise.resolve({ runId: 'run-1', status: { name: status } }),
    startUpdate: (def: { name: string }, opts: { updateId: string; args: unknown[] }) => {
      sent.push({ kind: 'update', name: def.name, id: opts.updateId, arg: opts.args[0] });
      if (answer === 'refused') {
        const cause = Object.assign(new Error('8 namespace rate limit exceeded'), { code: 8, metadata: {} });
        return Promise.reject(new ServiceError('Workflow Update failed', { cause }));
      }
      const afterMs = typeof answer === 'object' ? answer.afterMs : 0;
      return new Promise((resolve) => setTimeout(() => resolve({ result: () => Promise.resolve(undefined) }), afterMs));
    },
    signal: (def: { name: string }, arg: unknown) => {
      sent.push({ kind: 'signal', name: def.name, arg });
      return Promise.resolve();
    },
  };
  const client = { workflow: { getHandle: () => handle } } as unknown as Client;
  const activities = createJobEndActivities({ client });
  return { report: (r: JobEndReport) => activities.reportJobEnd(r), sent };
}

const end: JobFinished = { jobId: 'baton-backup-c-db-1', state: 'succeeded' };
const run = <T>(fn: () => Promise<T>) => new MockActivityEnvironment().run(fn);

test('the end goes to the coordinator as the jobEnded update, under the job end ID', async () => {
  const { report, sent } = coordinator('accepted');
  assert.equal(await run(() => report({ coordinatorId: 'coord', end })), 'update');
  assert.deepEqual(sent, [{ kind: 'update', name: 'jobEnded', id: jobEndUpdateId(end.jobId), arg: end }]);
});

test('a coordinator that refuses the update hears the end by the jobFinished signal', async () => {
  const { report, sent } = coordinator('refused');
  assert.equal(await run(() => report({ coordinatorId: 'coord', end })), 'signal');
  assert.deepEqual(
    sent.map((s) => `${s.kind}:${s.name}`),
    ['update:jobEnded', 'signal:jobFinished'],
  );
  assert.deepEqual(sent[1].arg, end);
});

test('a coordinator that is not running is said, not signalled', async () => {
  const { report, sent } = coordinator('accepted', 'TERMINATED');
  await assert.rejects(
    run(() => report({ coordinatorId: 'coord', end })),
    (err: unknown) =>
      err instanceof ApplicationFailure &&
      err.type === 'CoordinatorNotRunning' &&
      err.nonRetryable &&
      /no run of coordinator coord is running/.test(err.message),
  );
  assert.deepEqual(sent, []);
});

test('while the coordinator takes its time, the activity heartbeats every third of its heartbeat timeout', async () => {
  const { report, sent } = coordinator({ afterMs: 1000 });
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 300 });
  let beats = 0;
  env.on('heartbeat', () => beats++);
  assert.equal(await env.run(() => report({ coordinatorId: 'coord', end })), 'update');
  assert.equal(sent.length, 1);
  // one at once, then every 100 ms for a second: about 11; none after it returned
  assert.ok(beats >= 6 && beats <= 13, `${beats} heartbeats`);
  const after = beats;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(beats, after, 'no heartbeat after the activity returned');
});

test('without a heartbeat timeout it sends none', async () => {
  const { report } = coordinator({ afterMs: 300 });
  const env = new MockActivityEnvironment();
  let beats = 0;
  env.on('heartbeat', () => beats++);
  assert.equal(await env.run(() => report({ coordinatorId: 'coord', end })), 'update');
  assert.equal(beats, 0);
});
