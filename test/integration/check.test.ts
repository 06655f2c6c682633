/**
 * `baton check` as Nagios runs it, against a real Temporal dev server, the demo's three node
 * processes with their coordinator, and the demo's SQLite catalog: each exit code (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN) with its one status line and perfdata, and CRITICAL once the
 * coordinator is gone. The catalog's rows are written by the same functions the catalog
 * activities use.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jobFinished, recordJobStart } from '../../src/catalog/jobs';
import { DEMO_APP, DRILL_APP } from '../../src/demo/demo-files';
import { freePort } from '../../src/devtools/dev-server';
import { coordinatorStatus } from '../../src/client/coordinator-client';
import { coordinatorWorkflowId } from '../../src/model/names';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

const HOUR = 3600_000;

describe('baton check', { timeout: 120_000 }, () => {
  let c: LocalCluster;
  const check = (...args: string[]) => baton(['check', '--config', c.files.configFile, ...args]);

  /** A finished backup job of `app`, `hoursAgo` hours ago. */
  async function backup(app: string, state: 'succeeded' | 'failed', hoursAgo: number): Promise<void> {
    const at = new Date(Date.now() - hoursAgo * HOUR).toISOString();
    const id = `baton-backup-${c.config.cluster}-${app}-${state}-${hoursAgo}`;
    const job = { id, cluster: c.config.cluster, app, kind: 'backup' as const, node: 'node-1', drive: 'node-1-disk' };
    const event = {
      cluster: c.config.cluster,
      jobId: id,
      kind: 'job-started' as const,
      node: 'node-1',
      message: 'test',
    };
    await recordJobStart(c.catalog, { ...job, requestedBy: 'test' }, event, at);
    const outcome =
      state === 'succeeded'
        ? { files: 1, bytes: 10, newBytes: 10, durationMs: 1, snapshotId: `s-${id}`, drive: '/d', incomplete: false }
        : undefined;
    await jobFinished(
      c.catalog,
      {
        jobId: id,
        cluster: c.config.cluster,
        app,
        node: 'node-1',
        drive: 'node-1-disk',
        state,
        outcome,
        error: state === 'failed' ? 'boom' : undefined,
      },
      at,
    );
  }

  before(async () => {
    c = await startLocalCluster();
    // the nodes start the coordinator; the check wants it placed on one of them
    const deadline = Date.now() + 60_000;
    while ((await coordinatorStatus(c.client, c.config.cluster).catch(() => null))?.host == null) {
      if (Date.now() > deadline) throw new Error('the coordinator got no host within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    await backup(DEMO_APP, 'succeeded', 2);
    await backup(DRILL_APP, 'succeeded', 30);
    await backup(DRILL_APP, 'failed', 1);
  });
  after(async () => c?.stop());

  test('0 OK: the app was backed up within --max-age', () => {
    const r = check('--max-age', '26h', '--app', DEMO_APP);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^BATON OK - ${DEMO_APP} backed up 2h ago \\| '${DEMO_APP}_age'=720\\ds;;93600;0;\\n$`),
    );
  });

  test('1 WARNING: the latest backup failed, an older one is fresh enough', () => {
    const r = check('--max-age', '2d', '--app', DRILL_APP);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^BATON WARNING - ${DRILL_APP} latest backup failed \\(last success 1d 6h ago\\) \\|`),
    );
  });

  test('2 CRITICAL: an app last backed up before --max-age, named first, every app in perfdata', () => {
    const r = check('--max-age', '26h');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.match(
      r.stdout,
      new RegExp(
        `^BATON CRITICAL - ${DRILL_APP} last backed up 1d 6h ago \\(max 1d 2h\\); ${DEMO_APP} backed up 2h ago \\|`,
      ),
    );
    assert.match(r.stdout, new RegExp(`'${DEMO_APP}_age'=\\d+s;;93600;0; '${DRILL_APP}_age'=\\d+s;;93600;0;`));
  });

  test('3 UNKNOWN: an unknown app, a bad --max-age, an unreachable server', async () => {
    const app = check('--max-age', '26h', '--app', 'nope');
    assert.equal(app.code, 3);
    assert.match(app.stdout, /^BATON UNKNOWN - unknown app "nope"; apps in .*: /);
    const missing = check();
    assert.equal(missing.code, 3);
    assert.match(missing.stdout, /^BATON UNKNOWN - --max-age is required/);
    const age = check('--max-age', 'soon');
    assert.equal(age.code, 3);
    assert.match(age.stdout, /^BATON UNKNOWN - --max-age "soon" is not a duration/);
    const dead = join(c.dir, 'dead-server.yaml');
    const port = await freePort();
    writeFileSync(dead, readFileSync(c.files.configFile, 'utf8').replace(/address: .*/, `address: 127.0.0.1:${port}`));
    const r = baton(['check', '--config', dead, '--max-age', '26h']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^BATON UNKNOWN - no Temporal server answers at 127.0.0.1:${port}`));
  });

  test('2 CRITICAL: the coordinator is not running, whatever the backups say', async () => {
    await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster)).terminate('check test');
    const r = check('--max-age', '26h', '--app', DEMO_APP);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^BATON CRITICAL - the coordinator of cluster ${c.config.cluster} is not running \\(its workflow is TERMINATED\\); start it with \`baton apply\`; ${DEMO_APP} backed up 2h ago \\|`,
      ),
    );
  });
});
