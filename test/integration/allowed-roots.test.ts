/**
 * A node checks the plan's paths against its own config: three real node processes whose
 * baton.yaml allows their app and drive directories only (nodes[].allowedRoots), and a plan applied
 * from another file that points the app at a directory outside them. The coordinator takes the
 * plan; the node refuses the backup in its activity, once (non-retryable), naming the path and the
 * setting, and writes nothing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jobEvents } from '../../src/catalog/jobs';
import { followJob, requestBackup } from '../../src/client/coordinator-client';
import { DEMO_APP, DEMO_NODES } from '../../src/demo/demo-files';
import { startNodeProcess, stopNodeProcess, type NodeProcess } from '../../src/demo/node-processes';
import { waitFor } from '../../src/util/wait';
import { baton } from '../helpers/cli';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

describe("a node's allowed roots", { timeout: 240_000 }, () => {
  let c: LocalCluster;
  const nodes: NodeProcess[] = [];
  let applied: string;
  let outside: string;

  before(async () => {
    c = await startLocalCluster({ nodes: false });
    const demo = readFileSync(c.files.configFile, 'utf8');
    const roots = `\n    allowedRoots: [${join(c.dir, 'apps')}, ${join(c.dir, 'drives')}]`;
    const nodeConfig = join(c.dir, 'node.yaml');
    writeFileSync(nodeConfig, demo.replace(/^( {2}- name: (node-\d))$/gm, `$1${roots}`));
    outside = join(c.dir, 'secrets');
    mkdirSync(outside);
    writeFileSync(join(outside, 'key'), 'not for backing up');
    applied = join(c.dir, 'applied.yaml');
    writeFileSync(applied, demo.replace(`paths: [apps/${DEMO_APP}]`, `paths: [${outside}]`));
    for (const n of DEMO_NODES) nodes.push(startNodeProcess(n, nodeConfig, c.dir));
    await waitFor('the nodes start the coordinator', () => {
      const r = baton(['status', '--json', '--config', nodeConfig]);
      return r.code === 0 && /"coordinatorHost": "/.test(r.stdout);
    });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => stopNodeProcess(n, c.dir)));
    await c?.stop();
  });

  test('a plan whose app path lies outside them: the attempt fails once, naming the path and the setting', async () => {
    const apply = baton(['apply', '--config', applied]);
    assert.equal(apply.code, 0, apply.stderr);
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    const refused = await followJob(c.client, started.jobId, () => undefined, 500).then(
      () => assert.fail('the backup succeeded'),
      (err: Error) => err,
    );
    const says =
      `app ${DEMO_APP}'s data path ${outside} is outside the roots node ${started.node} allows ` +
      `\\(.*: nodes\\[\\]\\.allowedRoots of ${started.node} in .*node\\.yaml\\)`;
    assert.match(refused.message, new RegExp(`^backup of ${DEMO_APP} failed: .*${says}`));
    const events = await jobEvents(c.catalog, started.jobId);
    assert.equal(
      events.filter((e) => e.kind === 'attempt-started').length,
      1,
      'a non-retryable failure ends the job at once',
    );
    assert.match(events.find((e) => e.kind === 'attempt-ended')?.message ?? '', new RegExp(says));
    assert.equal(events.at(-1)?.kind, 'job-failed');
  });
});
