/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks what can be checked
 * without one: it parses, every reference points at a defined service or volume, the nodes run
 * the image's real command with a config that loads, and the Dockerfile's entry point exists.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { program } from '../../../src/cli/main';
import { loadConfig } from '../../../src/config/load';

const root = resolve(__dirname, '..', '..', '..', '..');

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  depends_on?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

test('every service has an image or a build, and depends only on defined services', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    assert.ok(service.image || service.build, `${name} has neither image nor build`);
    for (const dep of service.depends_on ?? []) assert.ok(compose.services[dep], `${name} depends on unknown ${dep}`);
  }
  for (const image of ['temporalio/auto-setup', 'temporalio/ui', 'temporalio/admin-tools', 'postgres']) {
    assert.ok(
      Object.values(compose.services).some((s) => s.image?.startsWith(image)),
      `no ${image} service`,
    );
  }
});

test('named volumes are declared and bind mounts exist', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0];
      if (source.startsWith('.')) assert.ok(existsSync(join(root, source)), `${name} mounts missing ${source}`);
      else assert.ok(source in compose.volumes, `${name} uses undeclared volume ${source}`);
    }
  }
});

test('the three Baton nodes run `baton node` with a config that loads and names them', () => {
  const config = loadConfig(join(root, 'deploy', 'baton.yaml'));
  const nodes = Object.entries(compose.services).filter(([, s]) => s.build);
  assert.deepEqual(
    nodes.map(([n]) => n),
    ['node-1', 'node-2', 'node-3'],
  );
  const cli = program();
  for (const [name, service] of nodes) {
    const command = service.command as string[];
    assert.equal(command[0], 'node');
    assert.ok(
      cli.commands.some((c) => c.name() === command[0]),
      'baton has no `node` command',
    );
    assert.equal(command[command.indexOf('--name') + 1], name);
    assert.ok(config.plan.nodes.some((n) => n.name === name));
    assert.equal(command[command.indexOf('--config') + 1], '/etc/baton/baton.yaml');
    assert.match(
      service.environment?.BATON_PASSWORD ?? '',
      /^\$\{BATON_PASSWORD:\?/,
      `${name} gets the drives' passphrase`,
    );
  }
  const [temporalHost] = config.temporal.address.split(':');
  assert.ok(compose.services[temporalHost], `config points at ${temporalHost}, not a compose service`);
  assert.ok(compose.services[new URL(config.catalogUrl).hostname], 'catalog host is not a compose service');
});

test("the Dockerfile's entry point is the baton CLI", () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/bin\/baton\.js"\]/);
  assert.ok(existsSync(join(root, 'bin', 'baton.js')));
});
