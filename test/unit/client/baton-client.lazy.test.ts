/**
 * The client connects to Temporal lazily: with nothing listening at the config's Temporal address,
 * `BatonClient.connect` succeeds, the catalog-only calls (`jobs` with its filters, `job`,
 * `snapshots`) answer from a real SQLite catalog, and the first call that needs Temporal fails in
 * one line naming the address, as before.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BatonClient } from '../../../src/client/baton-client';
import { UnknownAppError } from '../../../src/client/errors';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { DEMO_APP, writeDemoFiles } from '../../../src/demo/demo-files';
import { freePort } from '../../../src/devtools/dev-server';
import { UserError } from '../../../src/model/errors';
import { tempDir } from '../../helpers/temp';

const tmp = tempDir('baton-lazy-client-');
let baton: BatonClient;
let db: Catalog;
let address: string;

function job(id: string, state: string, app: string, startedAt: string) {
  return {
    id,
    cluster: 'demo',
    app,
    kind: app ? 'backup' : 'verify',
    node: 'node-1',
    drive: 'node-1-disk',
    state,
    requested_by: 'test',
    started_at: startedAt,
    finished_at: null,
    files: null,
    bytes: null,
    location: null,
    error: state === 'failed' ? 'the disk caught fire' : null,
  };
}

before(async () => {
  address = `127.0.0.1:${await freePort()}`;
  const files = writeDemoFiles(join(tmp.path, 'demo'), address);
  baton = await BatonClient.connect({ config: files.configFile });
  db = await openCatalog(baton.config.catalogUrl);
  await db
    .insertInto('jobs')
    .values([
      job('j1', 'succeeded', DEMO_APP, '2026-01-01T00:00:00.000Z'),
      job('j2', 'failed', DEMO_APP, '2026-01-02T00:00:00.000Z'),
      job('j3', 'failed', '', '2026-01-03T00:00:00.000Z'),
    ])
    .execute();
  const snap = (id: string, at: string, forgotten: string | null) => ({
    id,
    job_id: 'j1',
    cluster: 'demo',
    app: DEMO_APP,
    drive: 'node-1-disk',
    drive_path: '/x',
    at,
    files: 1,
    bytes: 10,
    new_bytes: 10,
    incomplete: 0,
    forgotten_at: forgotten,
  });
  await db
    .insertInto('snapshots')
    .values([
      snap('s1', '2026-01-01T00:00:00.000Z', null),
      snap('s2', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'),
      snap('s3', '2026-01-03T00:00:00.000Z', null),
    ])
    .execute();
});
after(async () => {
  await db?.destroy();
  await baton?.close();
  tmp.cleanup();
});

test('jobs, job and snapshots answer from the catalog while Temporal is down', async () => {
  assert.deepEqual(
    (await baton.jobs()).map((j) => j.id),
    ['j3', 'j2', 'j1'],
  );
  assert.deepEqual(
    (await baton.jobs({ state: 'failed' })).map((j) => j.id),
    ['j3', 'j2'],
  );
  assert.deepEqual(
    (await baton.jobs({ state: 'failed', app: DEMO_APP })).map((j) => j.id),
    ['j2'],
  );
  assert.deepEqual(
    (await baton.jobs({ kind: 'verify' })).map((j) => j.id),
    ['j3'],
  );
  assert.deepEqual(
    (await baton.jobs({ limit: 1 })).map((j) => j.id),
    ['j3'],
  );
  assert.equal((await baton.job('j2'))?.error, 'the disk caught fire');
  assert.equal(await baton.job('nope'), undefined);
  const snaps = await baton.snapshots(DEMO_APP);
  assert.deepEqual(
    snaps.map((s) => [s.id, s.node]),
    [
      ['s3', 'node-1'],
      ['s1', 'node-1'],
    ],
  );
  assert.deepEqual(
    (await baton.snapshots(DEMO_APP, 1)).map((s) => s.id),
    ['s3'],
  );
  await assert.rejects(baton.snapshots('ghost'), UnknownAppError);
  await assert.rejects(baton.jobs({ limit: 0 }), /limit 0 is not a positive whole number/);
});

test('restore tests: the recorded ones answer from the catalog while Temporal is down; a new one needs Temporal', async () => {
  const run = (id: string, app: string, state: string, startedAt: string) => ({
    id,
    cluster: 'demo',
    app,
    node: 'node-1',
    drive: 'node-1-disk',
    snapshot_id: 's1',
    requested_by: 'test',
    sample: null,
    seed: 1,
    started_at: startedAt,
    finished_at: startedAt,
    state,
    files: 3,
    bytes: 30,
    path: state === 'failed' ? 'etc/app.conf' : null,
    message: state,
  });
  await db
    .insertInto('restore_tests')
    .values([
      run('rt1', DEMO_APP, 'succeeded', '2026-01-01T00:00:00.000Z'),
      run('rt2', DEMO_APP, 'failed', '2026-01-02T00:00:00.000Z'),
      { ...run('rt3', DEMO_APP, 'succeeded', '2026-01-03T00:00:00.000Z'), cluster: 'another' },
    ])
    .execute();
  assert.deepEqual(
    (await baton.restoreTests()).map((r) => [r.id, r.state, r.path]),
    [
      ['rt2', 'failed', 'etc/app.conf'],
      ['rt1', 'succeeded', null],
    ],
  );
  assert.deepEqual(
    (await baton.restoreTests({ app: DEMO_APP, limit: 1 })).map((r) => r.id),
    ['rt2'],
  );
  await assert.rejects(baton.restoreTests({ app: 'ghost' }), UnknownAppError);
  await assert.rejects(baton.restoreTests({ limit: 1.5 }), /limit 1.5 is not a positive whole number/);
  // an unknown app is refused before any connection; a known one needs Temporal, which is down
  await assert.rejects(baton.restoreTest('ghost'), UnknownAppError);
  await assert.rejects(
    baton.restoreTest(DEMO_APP),
    (err: unknown) => err instanceof UserError && err.message.includes(address),
  );
});

test('the first call that needs Temporal fails in one line naming the address; the catalog calls still work', async () => {
  await assert.rejects(baton.status(), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.ok(err.message.includes(address), err.message);
    assert.equal(err.message.split('\n').length, 1, err.message);
    return true;
  });
  assert.equal((await baton.jobs({ state: 'failed' })).length, 2);
});
