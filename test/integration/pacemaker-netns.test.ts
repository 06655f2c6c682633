/**
 * PacemakerAdapter against a real three-node Pacemaker cluster, one node per network namespace
 * (see pacemaker-test-cluster.ts): an app really moves between nodes, and when its node dies the
 * adapter (asking node-1) sees the node go offline and the app start on a survivor. The alert
 * agent, registered on the cluster, fires on every node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import type { ClusterSnapshot } from '../../src/model/cluster';
import { PacemakerAdapter } from '../../src/cluster/pacemaker.js';
import { TestCluster, alertAgent, until, whyNotLive } from '../helpers/pacemaker-test-cluster.js';
import { tempDir } from '../helpers/temp';

const group = (id: string, members: string[]): string =>
  `<group id="${id}">${members
    .map(
      (m) => `<primitive id="${m}" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="${m}-monitor-5s" name="monitor" interval="5s"/></operations></primitive>`,
    )
    .join('')}</group>`;

void test(
  'PacemakerAdapter follows moves and a node crash in a three-node cluster',
  { timeout: 400_000 },
  async (t) => {
    const why = await whyNotLive();
    if (why !== null) {
      t.skip(why);
      return;
    }
    const tmp = tempDir('baton-pacemaker-netns-');
    const dir = tmp.path;
    chmodSync(dir, 0o777); // alerts run as hacluster
    const { xml: alertXml, events } = alertAgent(dir);
    const cluster = await TestCluster.start(dir, 3);
    t.after(async () => {
      await cluster.stop();
      tmp.cleanup();
    });
    t.diagnostic(`3 nodes online, DC elected, after ${cluster.startupMs} ms`);
    const pcmk = (...args: string[]) => cluster.tool('node-1', args[0], ...args.slice(1));

    // Resources stay where they are once placed (no drifting back after a move is cleared).
    await pcmk('crm_attribute', '--type', 'rsc_defaults', '--name', 'resource-stickiness', '--update', '100');
    await pcmk('cibadmin', '--create', '--scope', 'configuration', '--xml-text', alertXml);
    await pcmk('cibadmin', '--create', '--scope', 'resources', '--xml-text', group('db', ['db-ip', 'db-server']));
    await pcmk('cibadmin', '--create', '--scope', 'resources', '--xml-text', group('files', ['files-export']));

    const adapter = new PacemakerAdapter({
      apps: { database: 'db', share: 'files' },
      crmMon: cluster.on('node-1', 'crm_mon'),
    });
    const app = (s: ClusterSnapshot, name: string) => s.apps.find((a) => a.name === name);
    const waitFor = async (what: string, want: (s: ClusterSnapshot) => boolean, since = Date.now()) => {
      let last: ClusterSnapshot | undefined;
      const ok = await until(async () => want((last = await adapter.snapshot())), 90_000);
      assert.ok(ok, `${what}: snapshot never matched; last: ${JSON.stringify(last)}`);
      t.diagnostic(`${what}: seen after ${Date.now() - since} ms`);
      return last as ClusterSnapshot;
    };

    const placed = await waitFor('both apps started', (s) =>
      s.apps.every((a) => a.state === 'started' && a.host !== null),
    );
    assert.deepEqual(
      placed.nodes.map((n) => n.state),
      ['online', 'online', 'online'],
    );

    // Move db to a node that is neither node-1 (the one we ask) nor where it is now.
    const from = app(placed, 'database')?.host as string;
    const to = from === 'node-2' ? 'node-3' : 'node-2';
    let started = Date.now();
    await pcmk('crm_resource', '--resource', 'db', '--move', '--node', to);
    const moved = await waitFor(
      `db moved ${from} -> ${to}`,
      (s) => app(s, 'database')?.host === to && app(s, 'database')?.state === 'started',
      started,
    );
    assert.notEqual(moved.version, placed.version);
    await pcmk('crm_resource', '--resource', 'db', '--clear');

    // Watch while the node hosting db dies.
    const seen: ClusterSnapshot[] = [];
    const stopWatching = adapter.watch((s) => seen.push(s));
    t.after(stopWatching);
    assert.ok(
      await until(() => Promise.resolve(seen.length > 0), 10_000),
      'watch() reported the cluster before the crash',
    );
    started = Date.now();
    await cluster.crash(to);
    const after = await waitFor(
      `${to} crashed, db failed over`,
      (s) =>
        s.nodes.find((n) => n.name === to)?.state === 'offline' &&
        app(s, 'database')?.state === 'started' &&
        app(s, 'database')?.host !== to,
      started,
    );
    assert.notEqual(app(after, 'database')?.host, null);
    assert.ok(
      await until(() => Promise.resolve(seen.some((s) => s.version === after.version)), 10_000),
      'watch() reported the failover',
    );
    t.diagnostic(
      `watch saw ${seen.length} versions: ${seen.map((s) => `${app(s, 'database')?.state}@${app(s, 'database')?.host}`).join(' -> ')}`,
    );

    // The alert agent ran on the nodes: db's stop on `from`, its start on `to`, and `to` lost.
    const parse = () =>
      existsSync(events)
        ? readFileSync(events, 'utf8')
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as Record<string, string>)
        : [];
    const fired = await until(
      () =>
        Promise.resolve(
          parse().some((e) => e.kind === 'resource' && e.task === 'stop' && e.node === from && e.rsc === 'db-ip') &&
            parse().some((e) => e.kind === 'resource' && e.task === 'start' && e.node === to && e.rsc === 'db-ip') &&
            parse().some((e) => e.kind === 'node' && e.node === to && e.desc === 'lost'),
        ),
      15_000,
    );
    assert.ok(fired, `alert events: ${JSON.stringify(parse())}`);
    t.diagnostic(
      `alert events: ${parse().length}; node events: ${JSON.stringify(parse().filter((e) => e.kind === 'node'))}`,
    );
  },
);
