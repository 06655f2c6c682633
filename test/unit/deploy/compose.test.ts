/**
 * docker-compose.yml cannot run here (no Docker engine, and this machine's docker CLI has no compose
 * plugin: `docker compose config` is run only where it exists), so this checks what can be checked
 * without one: the start order is enforced by conditions (databases healthy, one-shot jobs completed),
 * every long-running service restarts, Temporal is the current server image with a schema job (not
 * the deprecated auto-setup), the cluster map and `baton apply` have their one-shots, no secret is
 * written in the file, and the nodes run the image's real command with a config that loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { program } from '../../../src/cli/main';
import { readStaticMap } from '../../../src/cluster/static';
import { loadConfig } from '../../../src/config/load';
import { baton } from '../../helpers/cli';

const root = resolve(__dirname, '..', '..', '..', '..');

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  entrypoint?: string[] | string;
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
};
const services = Object.entries(compose.services);
const config = loadConfig(join(root, 'deploy', 'baton.yaml'));
const script = (s: Service) => [s.entrypoint, s.command].flat().join(' ');
const oneShot = (s: Service) => s.restart === 'on-failure' || s.restart === 'no';
const nodes = services.filter(([, s]) => s.build && script(s).includes('--name'));

function dependsOn(s: Service): Record<string, { condition: string }> {
  assert.ok(!Array.isArray(s.depends_on), 'depends_on is a list: name a condition for each service');
  return s.depends_on ?? {};
}

/** The services `name` waits for, directly or through others. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  for (const dep of Object.keys(dependsOn(compose.services[name]))) {
    if (!seen.has(dep)) closure(dep, seen.add(dep));
  }
  return seen;
}

test('every service has an image or a build, a restart policy, and conditions on what it waits for', () => {
  for (const [name, service] of services) {
    assert.ok(service.image || service.build, `${name} has neither image nor build`);
    assert.ok(service.restart, `${name} has no restart policy: a start before its database would stay dead`);
    for (const [dep, { condition }] of Object.entries(dependsOn(service))) {
      const target = compose.services[dep];
      assert.ok(target, `${name} depends on unknown ${dep}`);
      if (target.healthcheck) assert.equal(condition, 'service_healthy', `${name} -> ${dep}`);
      else if (oneShot(target)) assert.equal(condition, 'service_completed_successfully', `${name} -> ${dep}`);
      else assert.equal(condition, 'service_started', `${name} -> ${dep}`);
    }
  }
});

test('PostgreSQL services answer a healthcheck; Temporal is the server image after a schema job', () => {
  const postgres = services.filter(([, s]) => s.image?.startsWith('postgres:'));
  assert.equal(postgres.length, 2);
  for (const [name, s] of postgres) assert.match(s.healthcheck?.test.join(' ') ?? '', /pg_isready/, name);
  assert.ok(!services.some(([, s]) => s.image?.includes('auto-setup')), 'temporalio/auto-setup is deprecated');
  const server = compose.services['temporal'];
  assert.match(server.image ?? '', /^temporalio\/server:/);
  const schemaJobs = [...closure('temporal')].filter((d) => script(compose.services[d]).includes('temporal-sql-tool'));
  assert.equal(schemaJobs.length, 1, 'the server waits for no schema job');
  const job = script(compose.services[schemaJobs[0]]);
  for (const step of ['setup-schema', 'update-schema', 'temporal_visibility', 'visibility/versioned']) {
    assert.ok(job.includes(step), `the schema job lacks ${step}`);
  }
});

test('the nodes wait for the catalog, the namespace and the cluster map; a one-shot runs baton apply', () => {
  const [temporalHost] = config.temporal.address.split(':');
  const catalogHost = new URL(config.catalogUrl).hostname;
  assert.equal(config.clusterService.kind, 'static');
  const { mapFile } = config.clusterService as { mapFile: string };
  const mapJob = services.find(([, s]) => oneShot(s) && script(s).includes(mapFile));
  assert.ok(mapJob, `no one-shot service creates ${mapFile}`);
  const namespaceJob = services.find(([, s]) => script(s).includes('namespace create'));
  assert.ok(namespaceJob, 'nothing creates the namespace');
  for (const [name] of nodes) {
    const waits = closure(name);
    for (const dep of [temporalHost, catalogHost, mapJob[0], namespaceJob[0]])
      assert.ok(waits.has(dep), `${name} does not wait for ${dep}`);
  }
  const apply = services.filter(
    ([, s]) => s.build && oneShot(s) && script(s).includes('apply --config /etc/baton/baton.yaml'),
  );
  assert.equal(apply.length, 1, 'no one-shot `baton apply --config /etc/baton/baton.yaml`');
});

test("the cluster map's first version names the config's nodes and apps", () => {
  const map = readStaticMap(join(root, 'deploy', 'cluster-map.json'));
  assert.deepEqual(Object.keys(map.nodes).sort(), config.plan.nodes.map((n) => n.name).sort());
  assert.deepEqual(Object.keys(map.apps).sort(), config.plan.apps.map((a) => a.name).sort());
  for (const node of Object.values(map.apps)) assert.ok(node === null || node in map.nodes);
});

test('no secret is written in the compose file or the config: they come from uncommitted files', () => {
  for (const [name, s] of services) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      if (/PASSWORD|PWD|SECRET|TOKEN|API_KEY/.test(key))
        assert.match(key, /_FILE$/, `${name} sets ${key}=${value} inline`);
    }
    for (const secret of s.secrets ?? [])
      assert.ok(compose.secrets?.[secret], `${name} uses undeclared secret ${secret}`);
  }
  const gitignore = readFileSync(join(root, '.gitignore'), 'utf8');
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    assert.match(secret.file ?? '', /^\.\/deploy\/secrets\//, `secret ${name} is not a file under deploy/secrets/`);
    assert.match(gitignore, /^deploy\/secrets\/$/m, 'deploy/secrets/ is not in .gitignore');
  }
  assert.equal(new URL(config.catalogUrl).password, '', 'the catalog URL in deploy/baton.yaml has a password');
  for (const [name] of nodes) {
    assert.deepEqual(compose.services[name].secrets?.sort(), ['baton-password', 'catalog-db-password']);
  }
  assert.equal(config.repository.passwordFile, '/run/secrets/baton-password');
});

test('named volumes are declared and bind mounts exist', () => {
  for (const [name, service] of services) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0];
      if (source.startsWith('.')) assert.ok(existsSync(join(root, source)), `${name} mounts missing ${source}`);
      else assert.ok(source in compose.volumes, `${name} uses undeclared volume ${source}`);
    }
  }
});

test('the three Baton nodes run `baton node` with a config that loads and names them', () => {
  assert.deepEqual(
    nodes.map(([n]) => n),
    ['node-1', 'node-2', 'node-3'],
  );
  const cli = program();
  for (const [name, service] of nodes) {
    const command = service.command as string[];
    assert.equal(command[0], 'node');
    assert.ok(cli.commands.some((c) => c.name() === command[0]));
    assert.equal(command[command.indexOf('--name') + 1], name);
    assert.ok(config.plan.nodes.some((n) => n.name === name));
    assert.equal(command[command.indexOf('--config') + 1], '/etc/baton/baton.yaml');
    assert.match(script(service), /exec node \/app\/bin\/baton\.js "\$\$@"/, `${name} does not run baton`);
    // SIGTERM gives running backups the grace time (jobs.checkpointEvery) to checkpoint, then the
    // workers 10 s more to close: docker must not SIGKILL before that
    const graceSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1] ?? 10);
    assert.ok(graceSeconds > config.plan.jobs.checkpointEverySeconds + 10, `${name}: stop_grace_period too short`);
  }
  const [temporalHost] = config.temporal.address.split(':');
  assert.ok(compose.services[temporalHost], `config points at ${temporalHost}, not a compose service`);
  assert.ok(compose.services[new URL(config.catalogUrl).hostname], 'catalog host is not a compose service');
});

const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

test(
  'docker compose config accepts the file',
  { skip: !composePlugin && 'the docker CLI has no compose plugin' },
  () => {
    const r = spawnSync(
      'docker',
      ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '--quiet', '--no-path-resolution'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
  },
);

test("the Dockerfile's entry point is the baton CLI", () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/bin\/baton\.js"\]/);
  assert.ok(existsSync(join(root, 'bin', 'baton.js')));
});

test("the Temporal server reads Baton's dynamic config: the file `baton server-config` prints for deploy/baton.yaml", () => {
  const temporal = compose.services.temporal;
  const path = temporal.environment?.DYNAMIC_CONFIG_FILE_PATH;
  assert.ok(path, 'the temporal service sets no DYNAMIC_CONFIG_FILE_PATH: it would run on the image default');
  const mount = (temporal.volumes ?? []).find((v) => v.split(':')[1] === path);
  assert.ok(mount, `nothing is mounted at ${path}`);
  const file = join(root, mount.split(':')[0]);
  const r = baton(['server-config', '--config', join(root, 'deploy', 'baton.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    readFileSync(file, 'utf8'),
    r.stdout,
    `${mount.split(':')[0]} is not what \`baton server-config --config deploy/baton.yaml\` prints: write it again`,
  );
  assert.match(r.stdout, /taskQueueName: "baton-prod-node-node-3"/);
});
