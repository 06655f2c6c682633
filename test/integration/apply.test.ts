/**
 * A cluster started without the demo, on a real Temporal dev server: three `baton node` processes
 * (which start the coordinator from their config) and `baton apply`, which starts it when it is not
 * running, hands a changed config to it, prints what changed, "no change" when applied twice, and
 * refuses (changing nothing) a config that removes an app a running job uses. Drives are created
 * only by `baton apply --init-drives`: a backup to a drive nobody initialised fails and says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { catalogHosts } from '../../src/catalog/hosts';
import { getJob } from '../../src/catalog/jobs';
import { coordinatorStatus, followJob, requestBackup } from '../../src/client/coordinator-client';
import { DEMO_APP, DRILL_APP } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { freePort } from '../../src/devtools/dev-server';
import { coordinatorWorkflowId } from '../../src/model/names';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';
import { secondNodeSkip } from '../helpers/first-node';

/** The demo's config less its drill app: the first plan applied. */
function withoutApp(yaml: string, app: string): string {
  return yaml.replace(new RegExp(`  - name: ${app}\\n(    .*\\n)*`), '');
}

describe('baton apply, without the demo', { timeout: 300_000, skip: secondNodeSkip() }, () => {
  let c: LocalCluster;
  let nodes: NodeProcess[] = [];
  let withDrill: string;
  let first: string;
  const apply = (...args: string[]) => baton(['apply', '--config', c.files.configFile, ...args]);
  const coordinatorRuns = async () => {
    try {
      return (
        (await c.client.workflow.getHandle(coordinatorWorkflowId(c.config.cluster)).describe()).status.name ===
        'RUNNING'
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };

  before(async () => {
    c = await startLocalCluster({ nodes: false });
    // No initOnFirstBackup: drives come from `baton apply --init-drives` only.
    withDrill = readFileSync(c.files.configFile, 'utf8').replace(/\n {4}initOnFirstBackup: true/g, '');
    first = withoutApp(withDrill, DRILL_APP);
    writeFileSync(c.files.configFile, first);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, c.dir)));
    await c?.stop();
  });

  test('with no node running, apply refuses in one line and starts nothing; a dry run says what it would start', async () => {
    const r = apply();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^baton: no node process of cluster demo polls baton-demo-coordinator at 127\.0\.0\.1:\d+, so nothing would run the coordinator; start them first \(`baton node --name <node> --config .*baton\.yaml` on each of node-1, node-2, node-3\), then apply\n$/,
    );
    assert.equal(await coordinatorRuns(), false);
    const dry = apply('--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /dry run: coordinator baton-coordinator-demo is not running; apply would start it with:\n/,
    );
    assert.match(dry.stdout, /^ {2}node node-2 added$/m);
    assert.match(dry.stdout, new RegExp(`^  app ${DEMO_APP} added$`, 'm'));
    assert.match(dry.stdout, new RegExp(`^  schedule of app ${DEMO_APP} added$`, 'm'));
    assert.match(
      dry.stdout,
      /^note: drive node-1-disk at .* is not initialised here; backups to it are refused until `baton apply --init-drives/m,
    );
    assert.equal(await coordinatorRuns(), false);
  });

  test('three `baton node` processes start the coordinator from their config', async () => {
    nodes = c.config.plan.nodes.map((n) => startNodeProcess(n.name, c.files.configFile, c.dir));
    await waitFor('the coordinator started by a node', coordinatorRuns);
    const logs = () => nodes.map((n) => readFileSync(n.logFile, 'utf8'));
    await waitFor('every node done with its start-up step', () =>
      logs().every((l) =>
        /started the coordinator of cluster demo from|the coordinator of cluster demo runs with the plan of/.test(l),
      ),
    );
    // One started it; the others found it running with their plan, and left it as it was.
    assert.equal(logs().filter((l) => l.includes('started the coordinator of cluster demo from')).length, 1);
    assert.deepEqual(
      (await coordinatorStatus(c.client, 'demo')).plan.apps.map((a) => a.name),
      [DEMO_APP],
    );
  });

  test('apply starts a coordinator that is not running (update-with-start), then says "no change"', async () => {
    await c.client.workflow.getHandle(coordinatorWorkflowId('demo')).terminate('test: apply starts it again');
    const r = apply();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^started coordinator baton-coordinator-demo with the plan of .*baton\.yaml:\n/m);
    assert.ok(await coordinatorRuns());
    const again = apply();
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /^no change: coordinator baton-coordinator-demo already has the plan of .*baton\.yaml\n$/m,
    );
  });

  test('a backup to a drive nobody initialised fails naming the fix; --init-drives creates the drives, then it backs up', async () => {
    const failed = baton(['backup', DEMO_APP, '--wait', '--config', c.files.configFile]);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    const jobId = /^started (\S+) on node-2 to node-2-disk$/m.exec(failed.stdout)?.[1];
    assert.ok(jobId, failed.stdout);
    assert.match(failed.stderr, /^baton: .*drive node-2-disk of node node-2 is not initialised/);
    const row = await getJob(c.catalog, jobId);
    assert.equal(row?.state, 'failed');
    assert.match(
      row?.error ?? '',
      /drive node-2-disk of node node-2 is not initialised: no Baton drive at .*; a backup never creates one\. Initialise it with `baton apply --init-drives/,
    );
    assert.equal(existsSync(join(c.dir, 'drives', 'node-2-disk', 'config')), false);

    const init = apply('--init-drives');
    assert.equal(init.code, 0, init.stderr);
    for (const n of ['node-1', 'node-2', 'node-3']) {
      assert.match(
        init.stdout,
        new RegExp(`^drive ${n}-disk at .*: initialised \\(directory, encrypted, id \\w+\\)$`, 'm'),
      );
    }
    assert.match(init.stdout, /^no change: /m);
    assert.match(apply('--init-drives', '--dry-run').stdout, /^drive node-1-disk at .*: already initialised$/m);
    const ok = baton(['backup', DEMO_APP, '--wait', '--config', c.files.configFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /succeeded: \d+ files/);
  });

  test('an added app is shown added and backs up; removing it while its backup runs is refused, naming the job', async () => {
    writeFileSync(c.files.configFile, withDrill);
    const added = apply();
    assert.equal(added.code, 0, added.stderr);
    assert.match(
      added.stdout,
      new RegExp(`^coordinator baton-coordinator-demo took the plan of .*:\\n  app ${DRILL_APP} added\\n$`, 'm'),
    );
    await waitFor('the added app placed', async () => (await coordinatorStatus(c.client, 'demo')).hosts[DRILL_APP]);
    const started = await requestBackup(c.client, 'demo', DRILL_APP, 'test');

    writeFileSync(c.files.configFile, first);
    const refused = apply();
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.equal(
      refused.stderr,
      `baton: coordinator refused the plan: the plan removes app "${DRILL_APP}", which running job ${started.jobId} uses; ` +
        'wait for the job to end (or cancel it), then apply again\n',
    );
    const dry = apply('--dry-run');
    assert.equal(dry.code, 1);
    assert.match(
      dry.stdout,
      new RegExp(
        `^  app ${DRILL_APP} removed\\nwould be refused: the plan removes app "${DRILL_APP}", which running job ${started.jobId} uses`,
        'm',
      ),
    );
    assert.ok((await coordinatorStatus(c.client, 'demo')).plan.apps.some((a) => a.name === DRILL_APP));

    const result = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(result.state, 'succeeded');
    const removed = apply();
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`^  app ${DRILL_APP} removed$`, 'm'));
    assert.match(apply().stdout, /^no change: /);
  });

  test('a server that does not answer: one line with the address and the fix, nothing applied', async () => {
    const port = await freePort();
    writeFileSync(c.files.configFile, first.replace(/address: .*/, `address: 127.0.0.1:${port}`));
    const r = apply();
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^baton: no Temporal server answers at 127\\.0\\.0\\.1:${port}; .*set temporal\\.address in .*baton\\.yaml to a running server\\n$`,
      ),
    );
    writeFileSync(c.files.configFile, first);
  });

  test('fifty apps scheduled for the same second get a note naming the jitter; a dry run changes nothing', async () => {
    const before = (await coordinatorStatus(c.client, 'demo')).plan.apps.map((a) => a.name);
    const crowd = Array.from(
      { length: 50 },
      (_, i) => `  - name: nightly-${i}\n    paths: [apps/nightly-${i}]\n    schedule: { cron: "0 2 * * *" }\n`,
    ).join('');
    writeFileSync(c.files.configFile, first.replace(/\napps:\n/, `\napps:\n${crowd}`));
    try {
      const r = apply('--dry-run');
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^note: 50 apps' backups are scheduled for the same second \(cron "0 2 \* \* \*": nightly-0, nightly-1, nightly-2 and 47 more\), .* jitter: 30m/m,
      );
      assert.match(r.stdout, /^ {2}app nightly-49 added$/m);
      assert.deepEqual(
        (await coordinatorStatus(c.client, 'demo')).plan.apps.map((a) => a.name),
        before,
      );
      // spread by a jitter, they are no crowd
      writeFileSync(
        c.files.configFile,
        readFileSync(c.files.configFile, 'utf8').replaceAll('"0 2 * * *" }', '"0 2 * * *", jitter: 30m }'),
      );
      assert.doesNotMatch(apply('--dry-run').stdout, /^note: .* same second/m);
    } finally {
      writeFileSync(c.files.configFile, first);
    }
  });

  test('a node on a second host is refused by the SQLite catalog, naming PostgreSQL; the nodes here recorded this host', async () => {
    assert.deepEqual(
      (await catalogHosts(c.catalog)).map((h) => h.host),
      [hostname()],
    );
    // as if node-3 had run on another machine against this catalog file (over a network filesystem)
    const at = new Date().toISOString();
    await c.catalog
      .insertInto('hosts')
      .values({ host: 'other-host', node: 'node-3', first_seen: at, last_seen: at })
      .execute();
    const r = baton(['node', '--name', 'node-1', '--config', c.files.configFile]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^baton: the SQLite catalog .*catalog\\.db is already used from host other-host \\(node node-3\\), and node node-1 runs on host ${hostname()}; ` +
          'SQLite serves one host only .*PostgreSQL database .*see docs/catalog\\.md\\n$',
      ),
    );
    await c.catalog.deleteFrom('hosts').where('host', '=', 'other-host').execute();
  });

  test('a node started with another plan than the running coordinator says so and leaves that plan as it is', async () => {
    writeFileSync(c.files.configFile, withDrill);
    const extra = startNodeProcess('node-3', c.files.configFile, c.dir);
    try {
      const said = await waitFor('the node to compare plans', () =>
        readFileSync(extra.logFile, 'utf8')
          .split('\n')
          .find((l) => l.includes("the running coordinator's plan differs from")),
      );
      assert.match(
        said,
        new RegExp(
          `\\(app ${DRILL_APP} added\\); it keeps its plan: run \`baton apply --config .*baton\\.yaml\` to change it`,
        ),
      );
      assert.deepEqual(
        (await coordinatorStatus(c.client, 'demo')).plan.apps.map((a) => a.name),
        [DEMO_APP],
      );
    } finally {
      await stopNodeProcess(extra, c.dir);
      writeFileSync(c.files.configFile, first);
    }
  });
});
