/** The README's main command: `baton demo --once` brings a cluster up, backs up, and shuts down cleanly. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { BATON_BIN } from '../../src/demo/node-processes';

test('baton demo --once runs a backup on the app’s host and exits 0', { timeout: 180_000 }, () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'baton-demo-')), '.baton');
  const r = spawnSync(process.execPath, [BATON_BIN, 'demo', '--once', '--dir', dir, '--port', '0', '--ui-port', '0'], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout,
    new RegExp(
      `backup baton-backup-${DEMO_APP}-\\S+ of ${DEMO_APP} on ${DEMO_APP_HOST} to drive ${DEMO_APP_HOST}-disk`,
    ),
  );
  assert.match(r.stdout, /backup succeeded: 121 files/);
  assert.match(r.stdout, /Web UI at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(r.stdout, /done, everything stopped cleanly/);
  assert.equal(readdirSync(join(dir, 'drives', `${DEMO_APP_HOST}-disk`)).length, 1);
  assert.deepEqual(readdirSync(join(dir, 'drives', 'node-1-disk')), []);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.pid')),
    [],
    'every node process was stopped',
  );
});
