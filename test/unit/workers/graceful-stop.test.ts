/** graceful-stop.ts: the first SIGTERM or SIGINT fires the stop signal once; dispose removes the handlers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { gracefulStop, stopGraceMs } from '../../../src/workers/graceful-stop';

const logger = pino({ level: 'silent' });

test('SIGTERM fires the stop signal, and the workers wait the grace time, then 10 s more at most', () => {
  const before = process.listenerCount('SIGTERM');
  const stop = gracefulStop(logger, 15_000);
  try {
    assert.equal(stop.signal.aborted, false);
    process.emit('SIGTERM', 'SIGTERM');
    assert.equal(stop.signal.aborted, true);
    process.emit('SIGINT', 'SIGINT'); // a second signal changes nothing
    assert.deepEqual(stop.workerOptions, { shutdownGraceTime: 15_000, shutdownForceTime: 25_000 });
  } finally {
    stop.dispose();
  }
  assert.equal(process.listenerCount('SIGTERM'), before);
});

test('SIGINT stops too', () => {
  const stop = gracefulStop(logger, 1000);
  try {
    process.emit('SIGINT', 'SIGINT');
    assert.equal(stop.signal.aborted, true);
  } finally {
    stop.dispose();
  }
});

test('the grace time is the checkpoint interval unless given', () => {
  assert.equal(stopGraceMs(15), 15_000);
  assert.equal(stopGraceMs(15, 40), 40_000);
});
