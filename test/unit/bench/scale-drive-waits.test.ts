/**
 * bench/scale's dispatch latency without drive waits: a job whose drive another job held counts
 * from that job's end, one whose drive was free from its request.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromDriveFree, type DriveUse } from '../../../bench/scale/drive-waits';

const use = (jobId: string, drive: string, startedMs: number, endedMs: number | null): DriveUse => ({
  jobId,
  drive,
  startedMs,
  endedMs,
});

test('a job on a free drive counts from its request; one behind another job from that job’s end', () => {
  const uses = [use('a', 'd1', 1_000, 7_000), use('b', 'd1', 7_300, 13_000), use('c', 'd2', 1_500, 8_000)];
  const { ms, waited } = fromDriveFree(
    [
      { jobId: 'a', requestedMs: 500, runningMs: 1_000 },
      { jobId: 'b', requestedMs: 900, runningMs: 7_300 },
      { jobId: 'c', requestedMs: 600, runningMs: 1_500 },
    ],
    uses,
  );
  assert.deepEqual(ms, [500, 300, 900]);
  assert.equal(waited, 1);
});

test('a job that ended before the request, or started after the attempt ran, did not hold the drive', () => {
  const uses = [use('old', 'd1', 0, 400), use('x', 'd1', 1_000, 7_000), use('later', 'd1', 8_000, null)];
  const { ms, waited } = fromDriveFree([{ jobId: 'x', requestedMs: 500, runningMs: 1_000 }], uses);
  assert.deepEqual(ms, [500]);
  assert.equal(waited, 0);
});

test('a request whose job has no attempt in the catalog is left out', () => {
  assert.deepEqual(fromDriveFree([{ jobId: 'gone', requestedMs: 0, runningMs: 10 }], []), { ms: [], waited: 0 });
});
