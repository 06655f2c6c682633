import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobFinished, jobStarted } from '../../../src/catalog/jobs';
import { beginAttemptInLine, releaseLeases, type AttemptBegun } from '../../../src/catalog/attempts';
import { WAITER_GONE_MS } from '../../../src/catalog/drive-line';
import type { Catalog } from '../../../src/catalog/open';
import { describeCatalog } from '../../helpers/catalog';
import { testBackupJob, testPlan } from '../../helpers/fixtures';

const plan = testPlan();
const jobs = ['a', 'b', 'c', 'd'].map((k, i) =>
  testBackupJob(plan, { jobId: `baton-backup-files-20261207T00000${i}.000Z-${k}` }),
);
const [a, b, c, d] = jobs.map((j) => j.jobId);
const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, 0) + s * 1000).toISOString();
const start = (jobId: string, drive = 'd1', leaseMs?: number) => ({
  cluster: 'c',
  jobId,
  number: 1,
  node: 'n1',
  drive,
  leaseMs,
});
const waits = (begun: AttemptBegun, waitingFor: string, drive = 'd1') =>
  assert.deepEqual(
    'waitingFor' in begun && { waitingFor: begun.waitingFor, drive: begun.drive },
    { waitingFor, drive },
    `expected to wait for ${waitingFor}: ${JSON.stringify(begun)}`,
  );
const begins = (begun: AttemptBegun) => assert.ok('epoch' in begun, `expected to begin: ${JSON.stringify(begun)}`);
/** Attempt 2 of the job, on `drive`: its app moved. */
const moved = (jobId: string, drive: string) => ({ ...start(jobId, drive), number: 2 });

async function startAll(db: Catalog): Promise<void> {
  for (const j of jobs) await jobStarted(db, j, at(0));
}

async function end(db: Catalog, jobId: string, s: number): Promise<string[]> {
  await jobFinished(db, { jobId, cluster: 'c', app: 'files', node: 'n1', drive: 'd1', state: 'succeeded' }, at(s));
  return releaseLeases(db, jobId, at(s));
}

describeCatalog('catalog drive lines', (catalog) => {
  /** The four jobs started; `a` holds d1 from 0 s (its lease lapsing after `leaseMs`), `b` waits from 1 s. */
  async function aHoldsBWaits(leaseMs?: number): Promise<{ db: Catalog; held: AttemptBegun }> {
    const db = catalog.db();
    await startAll(db);
    const held = await beginAttemptInLine(db, start(a, 'd1', leaseMs), at(0));
    begins(held);
    waits(await beginAttemptInLine(db, start(b), at(1)), a);
    return { db, held };
  }

  test('a released drive goes to the first in line, not to whoever asks first after', async () => {
    const db = catalog.db();
    await startAll(db);
    begins(await beginAttemptInLine(db, start(a), at(1)));
    waits(await beginAttemptInLine(db, start(b), at(2)), a);
    waits(await beginAttemptInLine(db, start(c), at(3)), a);
    waits(await beginAttemptInLine(db, start(b), at(4)), a); // asking again keeps b's place
    assert.deepEqual(await end(db, a, 5), [b], 'the job that ended wakes the first in line');
    waits(await beginAttemptInLine(db, start(c), at(5)), b); // c asks before b does: still behind b
    waits(await beginAttemptInLine(db, start(d), at(5)), b); // a newcomer joins the end
    begins(await beginAttemptInLine(db, start(b), at(6)));
    assert.deepEqual(await end(db, b, 7), [c]);
    begins(await beginAttemptInLine(db, start(c), at(7)));
    assert.deepEqual(await end(db, c, 8), [d]);
    begins(await beginAttemptInLine(db, start(d), at(8)));
    assert.deepEqual(await end(db, d, 9), [], 'nobody waits');
  });

  test('a waiter that stopped asking, or whose job ended, is passed over', async () => {
    const { db } = await aHoldsBWaits(); // b asks once, then never again
    waits(await beginAttemptInLine(db, start(c), at(2)), a);
    waits(await beginAttemptInLine(db, start(d), at(3)), a);
    const gone = 1 + WAITER_GONE_MS / 1000 + 1;
    await jobFinished(db, { jobId: c, cluster: 'c', app: 'files', node: 'n1', drive: 'd1', state: 'cancelled' }, at(4));
    waits(await beginAttemptInLine(db, start(d), at(gone - 1)), a);
    assert.deepEqual(await end(db, a, gone), [d], 'b stopped asking and c ended: d is first');
    begins(await beginAttemptInLine(db, start(d), at(gone)));
  });

  test('a waiter that ends first in line wakes the next while the drive is free, not while it is held', async () => {
    const { db } = await aHoldsBWaits();
    waits(await beginAttemptInLine(db, start(c), at(2)), a);
    waits(await beginAttemptInLine(db, start(d), at(3)), a);
    assert.deepEqual(await end(db, b, 4), [], 'a still holds the drive: nobody to wake');
    assert.deepEqual(await end(db, a, 5), [c]);
    assert.deepEqual(await end(db, c, 6), [d], 'c, woken, ended before it asked: the drive is free, d is next');
    begins(await beginAttemptInLine(db, start(d), at(7)));
  });

  test('a job that asks for another drive leaves its first line', async () => {
    const { db } = await aHoldsBWaits();
    waits(await beginAttemptInLine(db, start(c), at(2)), a);
    begins(await beginAttemptInLine(db, start(b, 'd2'), at(3))); // b's app moved: its drive is d2 now
    assert.deepEqual(await end(db, a, 4), [c]);
  });

  test('a lapsed lease goes to the first in line, who takes it over', async () => {
    const { db } = await aHoldsBWaits(10_000);
    waits(await beginAttemptInLine(db, start(c), at(11)), b); // a's lease lapsed at 10 s: b is first
    begins(await beginAttemptInLine(db, start(b), at(12)));
  });

  test('a job that holds the drive begins its next attempt there, whoever waits', async () => {
    const { db } = await aHoldsBWaits();
    begins(await beginAttemptInLine(db, { ...start(a), number: 2 }, at(2))); // a's attempt 1 timed out
    waits(await beginAttemptInLine(db, start(b), at(3)), a);
  });

  test('a retried call for an attempt that began answers its epoch, whoever waits', async () => {
    const { db, held } = await aHoldsBWaits();
    assert.ok('epoch' in held);
    assert.deepEqual(await beginAttemptInLine(db, start(a), at(2)), { epoch: held.epoch });
  });

  test('two jobs whose apps swapped nodes each let go of their old drive: neither waits for the other', async () => {
    const db = catalog.db();
    await startAll(db);
    begins(await beginAttemptInLine(db, start(a, 'd1'), at(0)));
    begins(await beginAttemptInLine(db, start(b, 'd2'), at(0)));
    // the apps swap: a's next attempt is for d2, b's for d1
    const aAsks = await beginAttemptInLine(db, moved(a, 'd2'), at(1));
    waits(aAsks, b, 'd2');
    assert.deepEqual(aAsks.wake, [], 'nobody waits for d1 yet');
    const bAsks = await beginAttemptInLine(db, moved(b, 'd1'), at(2));
    begins(bAsks);
    assert.deepEqual(bAsks.wake, [a], 'b let go of d2: a, first in its line, is woken');
    begins(await beginAttemptInLine(db, moved(a, 'd2'), at(2)));
    const leases = await db.selectFrom('drive_leases').select(['drive', 'job_id']).orderBy('drive').execute();
    assert.deepEqual(leases, [
      { drive: 'd1', job_id: b },
      { drive: 'd2', job_id: a },
    ]);
  });

  test('a job whose app moved to a busy drive wakes the first in line for the drive it left', async () => {
    const { db } = await aHoldsBWaits();
    begins(await beginAttemptInLine(db, start(c, 'd2'), at(2)));
    const aAsks = await beginAttemptInLine(db, moved(a, 'd2'), at(3));
    waits(aAsks, c, 'd2');
    assert.deepEqual(aAsks.wake, [b], 'a let go of d1 while it waits for d2');
    begins(await beginAttemptInLine(db, start(b), at(3)));
    assert.deepEqual(await end(db, c, 4), [a]);
  });
});
