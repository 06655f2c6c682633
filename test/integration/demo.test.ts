/** The README's main command: `baton demo --once` brings a cluster up, backs up, and shuts down cleanly. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_APP, DEMO_APP_HOST, DEMO_CLUSTER } from '../../src/demo/demo-files';
import { BATON_BIN } from '../../src/demo/node-processes';
import { listSnapshots, openDrive, restore } from '../../src/engine';
import { compareTrees } from '../helpers/tree';
import { tempDir } from '../helpers/temp';

test('baton demo --once runs a backup on the app’s host and exits 0', { timeout: 180_000 }, async () => {
  const dir = join(tempDir('baton-demo-').path, '.baton');
  const r = spawnSync(process.execPath, [BATON_BIN, 'demo', '--once', '--dir', dir, '--port', '0', '--ui-port', '0'], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout,
    new RegExp(
      `backup baton-backup-${DEMO_CLUSTER}-${DEMO_APP}-\\S+ of ${DEMO_APP} on ${DEMO_APP_HOST} to drive ${DEMO_APP_HOST}-disk`,
    ),
  );
  const done = /backup succeeded: 121 files, \d+ bytes on node-2: snapshot ([0-9a-f]+) on drive (\S+)/.exec(r.stdout);
  assert.ok(done, r.stdout);
  assert.match(r.stdout, /Web UI at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /done, everything stopped cleanly/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.pid')),
    [],
    'every node process was stopped',
  );

  // The snapshot is on node-2's drive, encrypted with the demo's passphrase, and restores the app.
  assert.equal(done[2], join(dir, 'drives', `${DEMO_APP_HOST}-disk`));
  assert.deepEqual(readdirSync(join(dir, 'drives', 'node-1-disk')), []);
  const password = readFileSync(join(dir, 'repository-password'), 'utf8').trim();
  const drive = await openDrive(done[2], { password });
  assert.deepEqual(
    (await listSnapshots(drive)).map((s) => s.id),
    [done[1]],
  );
  const target = join(tempDir('baton-demo-restore-').path, 't');
  await restore({ drive, password, snapshotId: done[1], target });
  assert.deepEqual(compareTrees(join(dir, 'apps', DEMO_APP), target), []);
});

test('baton demo refuses a port in use, names the fix, and starts nothing', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const dir = join(tempDir('baton-demo-busy-').path, '.baton');
  try {
    const r = spawnSync(process.execPath, [BATON_BIN, 'demo', '--once', '--dir', dir, '--port', String(port)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr.trim(),
      `baton: port ${port} is already in use (another demo or Temporal server?); stop it or run \`npm run demo -- --port 0\``,
    );
    assert.throws(() => readdirSync(dir), /ENOENT/, 'nothing was written');
  } finally {
    server.close();
  }
});
