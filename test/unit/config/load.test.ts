import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configFromObject, loadConfig, repositoryPassword } from '../../../src/config/load';
import { tempDir } from '../../helpers/temp';

function base(): Record<string, unknown> {
  return {
    cluster: 'prod',
    nodes: [{ name: 'n1' }, { name: 'n2' }],
    drives: [
      { name: 'd1', node: 'n1', path: 'drives/d1' },
      { name: 'd2', node: 'n2', path: '/san/d2', kind: 'tape' },
    ],
    apps: [{ name: 'db', paths: ['/data/db'] }],
  };
}

test('a minimal config gets defaults and absolute paths', () => {
  const c = configFromObject(base(), '/etc/baton/baton.yaml', '/etc/baton');
  assert.equal(c.temporal.address, '127.0.0.1:7233');
  assert.equal(c.temporal.namespace, 'default');
  assert.equal(c.catalogUrl, 'sqlite:/etc/baton/catalog.db');
  assert.deepEqual(c.clusterService, { kind: 'static', mapFile: '/etc/baton/cluster-map.json', watch: true });
  assert.equal(c.plan.drives[0].path, '/etc/baton/drives/d1');
  assert.equal(c.plan.drives[0].kind, 'directory');
  assert.equal(c.plan.drives[1].kind, 'tape');
  assert.deepEqual(c.plan.apps[0], {
    name: 'db',
    paths: ['/data/db'],
    restart: 'auto',
    maxCheckpointAgeSeconds: 3600,
    bandwidthLimitBytesPerSecond: 0,
    schedule: null,
  });
});

test('jobs.operationBandwidthLimit paces restores and verifies; 0 (no limit) by default', () => {
  assert.equal(configFromObject(base(), '/b.yaml', '/').plan.jobs.operationBandwidthLimitBytesPerSecond, 0);
  const limited = configFromObject({ ...base(), jobs: { operationBandwidthLimit: 1048576 } }, '/b.yaml', '/');
  assert.equal(limited.plan.jobs.operationBandwidthLimitBytesPerSecond, 1048576);
  assert.throws(
    () => configFromObject({ ...base(), jobs: { operationBandwidthLimit: -1 } }, '/b.yaml', '/'),
    /jobs\.operationBandwidthLimit: /,
  );
});

const bad: { name: string; change: (c: Record<string, unknown>) => void; message: RegExp }[] = [
  {
    name: 'bad node name',
    change: (c) => ((c.nodes as unknown[])[1] = { name: 'Node 2' }),
    message: /nodes\[1\]\.name: "Node 2" must be lower-case letters/,
  },
  {
    name: 'drive on a node that does not exist',
    change: (c) => ((c.drives as { node: string }[])[0].node = 'n9'),
    message: /drive "d1" is pre-assigned to node "n9", which is not a node of the cluster; assign it to one of: n1, n2/,
  },
  {
    name: 'unknown key',
    change: (c) => (c.nodez = []),
    message: /\(top level\): unknown key "nodez"; remove or correct it/,
  },
  {
    name: 'bad restart policy',
    change: (c) => ((c.apps as { restart?: string }[])[0].restart = 'sometimes'),
    message: /apps\[0\]\.restart: "sometimes" Invalid option: expected one of "checkpoint"\|"fresh"\|"auto"/,
  },
  {
    name: 'bad duration',
    change: (c) => ((c.apps as { maxCheckpointAge?: string }[])[0].maxCheckpointAge = '1 hour'),
    message: /apps\[0\]\.maxCheckpointAge: "1 hour" .*duration like 90s, 15m, 2h, 1d/,
  },
  {
    name: 'missing cluster',
    change: (c) => delete c.cluster,
    message: /cluster: missing/,
  },
  {
    name: 'bad temporal address',
    change: (c) => (c.temporal = { address: 'localhost' }),
    message: /temporal\.address: "localhost" must be host:port/,
  },
];
for (const c of bad) {
  test(`config error names the key, value and fix: ${c.name}`, () => {
    const raw = base();
    c.change(raw);
    assert.throws(
      () => configFromObject(raw, 'baton.yaml', '/x'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^baton\.yaml is not a valid Baton config:/);
        assert.match(err.message, c.message);
        return true;
      },
    );
  });
}

test('a missing file and broken YAML are named', () => {
  const dir = tempDir('baton-config-').path;
  assert.throws(
    () => loadConfig(join(dir, 'none.yaml')),
    /none\.yaml is not a valid Baton config:\n {2}- file not found/,
  );
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'cluster: [unclosed\n');
  assert.throws(
    () => loadConfig(broken),
    /broken\.yaml is not a valid Baton config:\n {2}- not valid YAML: .*; fix the syntax/,
  );
});

test('an app schedule takes cron or every, not both', () => {
  const ok = base();
  (ok.apps as Record<string, unknown>[])[0].schedule = { cron: '0 2 * * *' };
  assert.deepEqual(configFromObject(ok, 'b.yaml', '/x').plan.apps[0].schedule, {
    cron: '0 2 * * *',
    catchupWindowSeconds: 600,
  });
  const every = base();
  (every.apps as Record<string, unknown>[])[0].schedule = { every: '6h', catchupWindow: '1h' };
  assert.deepEqual(configFromObject(every, 'b.yaml', '/x').plan.apps[0].schedule, {
    everySeconds: 21600,
    catchupWindowSeconds: 3600,
  });
  const both = base();
  (both.apps as Record<string, unknown>[])[0].schedule = { cron: '0 2 * * *', every: '6h' };
  assert.throws(() => configFromObject(both, 'b.yaml', '/x'), /apps\[0\]\.schedule: .* must have exactly one of cron/);
  const bad = base();
  (bad.apps as Record<string, unknown>[])[0].schedule = { cron: 'nightly' };
  assert.throws(
    () => configFromObject(bad, 'b.yaml', '/x'),
    /apps\[0\]\.schedule\.cron: "nightly" must be a five-field cron/,
  );
});

/** The base config with its first app given `schedule`. */
function withSchedule(schedule: Record<string, unknown>): Record<string, unknown> {
  const c = base();
  (c.apps as Record<string, unknown>[])[0].schedule = schedule;
  return c;
}

test('an every schedule takes an offset shorter than its interval; a cron one takes none', () => {
  assert.deepEqual(
    configFromObject(withSchedule({ every: '1h', offset: '15m' }), 'b.yaml', '/x').plan.apps[0].schedule,
    {
      everySeconds: 3600,
      offsetSeconds: 900,
      catchupWindowSeconds: 600,
    },
  );
  assert.equal(
    configFromObject(withSchedule({ every: '1h', offset: 0 }), 'b.yaml', '/x').plan.apps[0].schedule?.offsetSeconds,
    0,
    'offset 0: on the hour',
  );
  assert.throws(
    () => configFromObject(withSchedule({ every: '1h', offset: '1h' }), 'b.yaml', '/x'),
    /apps\[0\]\.schedule: .* has an offset that is not shorter than its every; give an offset from 0 up to just under the interval/,
  );
  assert.throws(
    () => configFromObject(withSchedule({ cron: '0 2 * * *', offset: '5m' }), 'b.yaml', '/x'),
    /apps\[0\]\.schedule: .* has an offset but no every: .* a cron expression says its own times/,
  );
  assert.throws(
    () => configFromObject(withSchedule({ every: '1h', offset: '-5m' }), 'b.yaml', '/x'),
    /apps\[0\]\.schedule\.offset: "-5m"/,
  );
});

test('a cron schedule takes a jitter; an every one is refused it, naming offset', () => {
  assert.deepEqual(
    configFromObject(withSchedule({ cron: '0 2 * * *', jitter: '30m' }), 'b.yaml', '/x').plan.apps[0].schedule,
    { cron: '0 2 * * *', jitterSeconds: 1800, catchupWindowSeconds: 600 },
  );
  assert.throws(
    () => configFromObject(withSchedule({ every: '1h', jitter: '5m' }), 'b.yaml', '/x'),
    /apps\[0\]\.schedule: .* has a jitter but no cron: .* an every schedule is spread by its offset already/,
  );
  assert.throws(
    () => configFromObject(withSchedule({ cron: '0 2 * * *', jitter: 'soon' }), 'b.yaml', '/x'),
    /apps\[0\]\.schedule\.jitter: "soon" must be a number of seconds or a duration/,
  );
});

test('a static cluster service’s map watch can be turned off; a watch that is not a boolean is refused', () => {
  const raw = base();
  raw.clusterService = { kind: 'static', mapFile: 'map.json', watch: false };
  const c = configFromObject(raw, '/etc/baton/baton.yaml', '/etc/baton');
  assert.deepEqual(c.clusterService, { kind: 'static', mapFile: '/etc/baton/map.json', watch: false });
  raw.clusterService = { kind: 'static', mapFile: 'map.json', watch: 'no' };
  assert.throws(() => configFromObject(raw, 'b.yaml', '/x'), /clusterService\.watch/);
});

test('a pacemaker cluster service maps apps to resources', () => {
  const raw = base();
  raw.clusterService = { kind: 'pacemaker', resources: { db: 'grp-db' }, cibFile: 'cib.xml' };
  const c = configFromObject(raw, '/etc/baton/baton.yaml', '/etc/baton');
  assert.deepEqual(c.clusterService, {
    kind: 'pacemaker',
    resources: { db: 'grp-db' },
    cibFile: '/etc/baton/cib.xml',
    timeoutMs: 10_000,
  });
  const bad = base();
  bad.clusterService = { kind: 'heartbeat' };
  assert.throws(() => configFromObject(bad, 'b.yaml', '/x'), /clusterService\.kind: "heartbeat"/);
});

test('the drives’ passphrase: BATON_PASSWORD, else repository.passwordFile, else a clear refusal', () => {
  const dir = tempDir('baton-password-').path;
  const saved = process.env.BATON_PASSWORD;
  delete process.env.BATON_PASSWORD;
  try {
    const none = configFromObject(base(), join(dir, 'baton.yaml'), dir);
    assert.throws(
      () => repositoryPassword(none),
      /repository: no passphrase for the drives; set repository\.passwordFile or BATON_PASSWORD \(or repository\.encryption: false/,
    );
    const plain = configFromObject({ ...base(), repository: { encryption: false } }, join(dir, 'baton.yaml'), dir);
    assert.equal(repositoryPassword(plain), undefined);
    // unencrypted drives are used without a passphrase: the engine refuses them when given one
    process.env.BATON_PASSWORD = 'stray';
    assert.throws(
      () => repositoryPassword(plain),
      /repository\.encryption is false but a passphrase is given .*unset it, or set repository\.encryption: true/,
    );
    delete process.env.BATON_PASSWORD;

    writeFileSync(join(dir, 'pw'), 'correct horse\n');
    const fromFile = configFromObject({ ...base(), repository: { passwordFile: 'pw' } }, join(dir, 'b.yaml'), dir);
    assert.equal(fromFile.repository.passwordFile, join(dir, 'pw'));
    assert.equal(repositoryPassword(fromFile), 'correct horse');
    process.env.BATON_PASSWORD = 'from env';
    assert.equal(repositoryPassword(fromFile), 'from env');
    delete process.env.BATON_PASSWORD;

    const missing = configFromObject({ ...base(), repository: { passwordFile: 'nope' } }, join(dir, 'b.yaml'), dir);
    assert.throws(
      () => repositoryPassword(missing),
      /repository\.passwordFile: .*nope cannot be read .*; create it or fix the path/,
    );
  } finally {
    if (saved === undefined) delete process.env.BATON_PASSWORD;
    else process.env.BATON_PASSWORD = saved;
  }
});
