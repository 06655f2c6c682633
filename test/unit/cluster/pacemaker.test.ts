import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterUnavailableError } from '../../../src/cluster/adapter';
import type { ClusterApp, ClusterNode } from '../../../src/model/cluster';
import { appsOf, readCrmMon, UnknownResourceError } from '../../../src/cluster/crm-mon-xml.js';
import { PacemakerAdapter, versionOf } from '../../../src/cluster/pacemaker.js';
import { waitFor } from '../../../src/util/wait';
import { tempDir } from '../../helpers/temp';

// Recorded by scripts/make-pacemaker-fixtures.sh with Pacemaker's own tools.
const fixtures = join(__dirname, '../../../../test/fixtures/pacemaker');
const recorded = (name: string): string => readFileSync(join(fixtures, `${name}.crm_mon.xml`), 'utf8');

function view(name: string, apps?: ReadonlyMap<string, string>): { nodes: ClusterNode[]; apps: ClusterApp[] } {
  const v = readCrmMon(recorded(name));
  return { nodes: v.nodes, apps: appsOf(v, apps) };
}

const nodes = (s: string): ClusterNode[] =>
  s.split(' ').map((p, i) => ({ name: `node-${i + 1}`, state: p as ClusterNode['state'] }));

const expected: Record<string, { nodes: ClusterNode[]; apps: ClusterApp[] }> = {
  'all-online': {
    nodes: nodes('online online online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: 'node-2', state: 'started' },
    ],
  },
  'node-2-offline': {
    nodes: nodes('online offline online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: 'node-3', state: 'started' },
    ],
  },
  'files-stopped': {
    nodes: nodes('online online online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: null, state: 'stopped' },
    ],
  },
  'node-1-standby': {
    nodes: nodes('standby online online'),
    apps: [
      { name: 'db', host: 'node-2', state: 'started' },
      { name: 'files', host: 'node-3', state: 'started' },
    ],
  },
  'db-failed': {
    nodes: nodes('online online online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'failed' },
      { name: 'files', host: 'node-2', state: 'started' },
    ],
  },
  // Just failed, fencing off: counted as down; files not yet started elsewhere.
  'node-2-lost': {
    nodes: nodes('online offline online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: null, state: 'stopped' },
    ],
  },
  // Failed with fencing on: unknown until fenced, and files may still run there.
  'node-2-unclean': {
    nodes: nodes('online unknown online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: 'node-2', state: 'started' },
    ],
  },
  // A promotable clone runs everywhere; its host is where it is promoted.
  'pg-promoted': {
    nodes: nodes('online online online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: 'node-2', state: 'started' },
      { name: 'pg', host: 'node-3', state: 'started' },
    ],
  },
  // A bundle's replica runs on guest node web-0, inside a container on node-3: the host is node-3,
  // and web-0 is no Baton node.
  'web-bundle': {
    nodes: nodes('online online online'),
    apps: [
      { name: 'db', host: 'node-1', state: 'started' },
      { name: 'files', host: 'node-2', state: 'started' },
      { name: 'web', host: 'node-3', state: 'started' },
    ],
  },
};

for (const [name, want] of Object.entries(expected)) {
  void test(`crm_mon fixture ${name}: nodes and apps`, () => {
    assert.deepEqual(view(name), want);
  });
}

void test('versions differ between every fixture and repeat for the same view', () => {
  const versions = Object.keys(expected).map((name) => {
    const v = view(name);
    return versionOf(v.nodes, v.apps);
  });
  assert.equal(new Set(versions).size, versions.length);
  const again = view('all-online');
  assert.equal(versionOf(again.nodes, again.apps), versions[0]);
});

void test('app names map to groups or to primitives inside them', () => {
  const apps = new Map([
    ['database', 'db'],
    ['db-address', 'db-ip'],
  ]);
  assert.deepEqual(view('node-1-standby', apps).apps, [
    { name: 'database', host: 'node-2', state: 'started' },
    { name: 'db-address', host: 'node-2', state: 'started' },
  ]);
});

void test('an unknown resource id names the app, the id and the fix', () => {
  assert.throws(
    () => view('all-online', new Map([['mail', 'mail-group']])),
    (e: unknown) => {
      assert.ok(e instanceof UnknownResourceError);
      assert.match(e.message, /app 'mail' maps to Pacemaker resource 'mail-group'/);
      assert.match(e.message, /configured resources: db, files/);
      assert.match(e.message, /fix clusterService\.resources\.mail in Baton's config/);
      return true;
    },
  );
});

void test('crm_mon error output is reported, not read as an empty cluster', () => {
  assert.throws(
    () => readCrmMon(recorded('error-not-running')),
    /code 102 \(Not connected\): error: Could not connect to launcher/,
  );
  // A CIB_file that does not exist: crm_mon 2.1.5 says so with code 0 and no <nodes>.
  assert.throws(() => readCrmMon(recorded('error-no-cib-file')), /Could not connect to the CIB/);
});

void test('a missing crm_mon is ClusterUnavailableError naming the package', async () => {
  const adapter = new PacemakerAdapter({ crmMon: '/nonexistent/crm_mon' });
  await assert.rejects(adapter.snapshot(), (e: unknown) => {
    assert.ok(e instanceof ClusterUnavailableError);
    assert.match(e.message, /apt-get install pacemaker-cli-utils/);
    assert.match(e.message, /clusterService\.kind to static/);
    return true;
  });
});

void test('a crm_mon that hangs is cut off at timeoutMs', async () => {
  const adapter = new PacemakerAdapter({ crmMon: ['sh', '-c', 'sleep 10'], timeoutMs: 200 });
  const started = Date.now();
  await assert.rejects(adapter.snapshot(), /crm_mon did not answer within 200 ms/);
  assert.ok(Date.now() - started < 5000);
});

void test('a missing CIB file is ClusterUnavailableError naming the file', async () => {
  const adapter = new PacemakerAdapter({ cibFile: join(fixtures, 'no-such.cib.xml') });
  await assert.rejects(adapter.snapshot(), (e: unknown) => {
    assert.ok(e instanceof ClusterUnavailableError);
    assert.match(e.message, /no-such\.cib\.xml/);
    return true;
  });
});

function hasCrmMon(): boolean {
  try {
    execFileSync('crm_mon', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

void test(
  'PacemakerAdapter runs the real crm_mon on each recorded CIB',
  { skip: hasCrmMon() ? false : 'crm_mon not installed: apt-get install -y pacemaker-cli-utils' },
  async () => {
    for (const [name, want] of Object.entries(expected)) {
      const adapter = new PacemakerAdapter({ cibFile: join(fixtures, `${name}.cib.xml`) });
      const s = await adapter.snapshot();
      assert.deepEqual({ nodes: s.nodes, apps: s.apps }, want, name);
      assert.equal(s.version, versionOf(want.nodes, want.apps));
      assert.ok(!Number.isNaN(Date.parse(s.takenAt)));
    }
  },
);

void test(
  'crmMon may be a command line that runs crm_mon',
  { skip: hasCrmMon() ? false : 'crm_mon not installed: apt-get install -y pacemaker-cli-utils' },
  async () => {
    const adapter = new PacemakerAdapter({
      crmMon: ['sh', '-c', 'exec crm_mon "$@"', 'crm_mon'],
      cibFile: join(fixtures, 'node-2-offline.cib.xml'),
    });
    const s = await adapter.snapshot();
    assert.deepEqual(s.apps, expected['node-2-offline']?.apps);
  },
);

void test(
  'crm_mon with no cluster to reach is ClusterUnavailableError with its reasons and the fix',
  {
    skip:
      process.getuid?.() === 0 && hasCrmMon()
        ? false
        : 'needs root (unshare --net) and crm_mon: apt-get install -y pacemaker-cli-utils',
  },
  async () => {
    // In a fresh network namespace no Pacemaker IPC socket exists, whatever runs on this machine.
    const adapter = new PacemakerAdapter({ crmMon: ['unshare', '--net', 'crm_mon'], env: { PATH: process.env.PATH } });
    await assert.rejects(adapter.snapshot(), (e: unknown) => {
      assert.ok(e instanceof ClusterUnavailableError);
      assert.match(e.message, /code 102 \(Not connected\)/);
      assert.match(
        e.message,
        /start Pacemaker here \(check with `crm_mon -1`\), or set clusterService\.kind to static/,
      );
      return true;
    });
  },
);

void test(
  'watch reports a snapshot once per version',
  { skip: hasCrmMon() ? false : 'crm_mon not installed: apt-get install -y pacemaker-cli-utils' },
  async () => {
    // crm_mon through a shell that first counts the run: polls never overlap, so once the 4th has
    // started, 3 have finished and reported whatever they were going to report.
    const runs = join(tempDir('baton-watch-').path, 'runs');
    const adapter = new PacemakerAdapter({
      cibFile: join(fixtures, 'all-online.cib.xml'),
      pollIntervalMs: 50,
      crmMon: ['sh', '-c', 'echo run >> "$0"; exec crm_mon "$@"', runs],
    });
    const seen: string[] = [];
    const stop = adapter.watch((s) => seen.push(s.version));
    try {
      await waitFor(
        '4 crm_mon runs',
        () => existsSync(runs) && readFileSync(runs, 'utf8').split('\n').length > 4,
        20_000,
        20,
      );
    } finally {
      stop();
    }
    assert.equal(seen.length, 1);
  },
);
