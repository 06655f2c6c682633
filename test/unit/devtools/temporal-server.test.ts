/**
 * The Temporal server's cache and config, without building or starting it: a complete cache is
 * used as it is, a second run waits on the first one's build lock (and takes over a dead one's),
 * and the generated config carries the ports and databases it was given.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  ensureTemporalServer,
  serverConfig,
  temporalServerCacheDir,
  TEMPORAL_SERVER_VERSION,
  type ServerPorts,
} from '../../../src/devtools/temporal-server';
import { tempDir } from '../../helpers/temp';

/** Lays out what a finished build leaves in the cache. */
function fillCache(): void {
  const dir = join(temporalServerCacheDir(), TEMPORAL_SERVER_VERSION);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'schema', 'postgresql', 'v12', 'visibility', 'versioned'), { recursive: true });
  for (const bin of ['temporal-server', 'temporal-sql-tool']) {
    writeFileSync(join(dir, 'bin', bin), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin', bin), 0o755);
  }
}

describe('temporal-server cache', () => {
  const saved = process.env.BATON_CACHE_DIR;
  before(() => (process.env.BATON_CACHE_DIR = tempDir('baton-cache-').path));
  after(() => (saved === undefined ? delete process.env.BATON_CACHE_DIR : (process.env.BATON_CACHE_DIR = saved)));

  test('a run waits while a live process holds the build lock, then uses what it built', async () => {
    mkdirSync(temporalServerCacheDir(), { recursive: true });
    const holder = spawn('sleep', ['30']);
    const lockFile = join(temporalServerCacheDir(), `${TEMPORAL_SERVER_VERSION}.lock`);
    writeFileSync(lockFile, `${holder.pid}\n`);
    const said: string[] = [];
    let done = false;
    const waiting = ensureTemporalServer((line) => said.push(line)).then((b) => ((done = true), b));
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(done, false, 'it waits for the lock');
    assert.match(said.join('\n'), new RegExp(`waiting for process ${holder.pid}, which is building`));
    fillCache();
    holder.kill('SIGKILL');
    const bins = await waiting;
    assert.equal(bins.server, join(temporalServerCacheDir(), TEMPORAL_SERVER_VERSION, 'bin', 'temporal-server'));
    assert.ok(!said.some((l) => l.startsWith('building')), 'it did not build again');
  });

  test('a complete cache is used without a lock or a build', async () => {
    fillCache();
    const said: string[] = [];
    const bins = await ensureTemporalServer((line) => said.push(line));
    assert.equal(bins.sqlTool, join(temporalServerCacheDir(), TEMPORAL_SERVER_VERSION, 'bin', 'temporal-sql-tool'));
    assert.deepEqual(said, []);
  });
});

test('the server config names the ports, databases and dynamic config it was given', () => {
  const ports: ServerPorts = {
    frontend: 17233,
    frontendHttp: 17243,
    frontendMembership: 16933,
    history: 17234,
    historyMembership: 16934,
    matching: 17235,
    matchingMembership: 16935,
    worker: 17239,
    workerMembership: 16939,
  };
  const db = { host: '127.0.0.1', port: 15432, user: 'temporal', password: 'p"w' };
  const config = parse(serverConfig(db, '127.0.0.1', ports, '/etc/dc.yaml')) as {
    persistence: { datastores: Record<string, { sql: Record<string, unknown> }> };
    services: Record<string, { rpc: Record<string, unknown> }>;
    clusterMetadata: { clusterInformation: { active: { rpcAddress: string } } };
    dynamicConfigClient: { filepath: string };
  };
  const stores = config.persistence.datastores;
  assert.equal(stores['postgres-default'].sql.databaseName, 'temporal');
  assert.equal(stores['postgres-visibility'].sql.databaseName, 'temporal_visibility');
  assert.equal(stores['postgres-default'].sql.connectAddr, '127.0.0.1:15432');
  assert.equal(stores['postgres-default'].sql.password, 'p"w');
  assert.deepEqual(config.services.frontend.rpc, {
    grpcPort: 17233,
    membershipPort: 16933,
    bindOnLocalHost: true,
    httpPort: 17243,
  });
  assert.equal(config.services.worker.rpc.membershipPort, 16939);
  assert.equal(config.clusterMetadata.clusterInformation.active.rpcAddress, '127.0.0.1:17233');
  assert.equal(config.dynamicConfigClient.filepath, '/etc/dc.yaml');
});
