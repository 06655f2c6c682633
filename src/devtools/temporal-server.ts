/**
 * The Temporal server itself (go.temporal.io/server), not the dev server: built once from the Go
 * module proxy into the per-user cache, its PostgreSQL schemas set up with its SQL tool, started
 * from a generated config, with the namespace and Baton's search attributes created through the
 * Temporal CLI. The real-server test tier and docs/deploy.md use these steps.
 *
 * Cache layout (~/.cache/baton, or $BATON_CACHE_DIR):
 *   temporal-server/<version>/bin/{temporal-server,temporal-sql-tool}
 *   temporal-server/<version>/schema/postgresql/v12/{temporal,visibility}/versioned
 *   temporal-server/go/ (GOPATH, GOMODCACHE) and temporal-server/go-build/ (GOCACHE)
 * A lock file (temporal-server/<version>.lock, holding the builder's pid) keeps two runs from
 * building at once; the second waits for the first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { searchAttributeDefinitions } from '../model/names';
import { dynamicConfigYaml, type DynamicConfig } from '../model/server-dynamic-config';
import { sleep } from '../util/wait';
import { portFree, serverAnswers } from './dev-server';
import { batonCacheDir, ensureTemporalCli, type Say } from './temporal-cli';

export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.32.0';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the module's source: temporal/versioned and visibility/versioned. */
  schemaDir: string;
}

export function temporalServerCacheDir(): string {
  return join(batonCacheDir(), 'temporal-server');
}

function binaries(versionDir: string): TemporalServerBinaries {
  return {
    server: join(versionDir, 'bin', 'temporal-server'),
    sqlTool: join(versionDir, 'bin', 'temporal-sql-tool'),
    schemaDir: join(versionDir, 'schema', 'postgresql', 'v12'),
  };
}

function complete(b: TemporalServerBinaries): boolean {
  return existsSync(b.server) && existsSync(b.sqlTool) && existsSync(join(b.schemaDir, 'visibility', 'versioned'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock, waiting while a live process holds it; a dead holder's lock is taken over. */
async function lock(file: string, say: Say): Promise<() => void> {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8').trim());
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (!told) say(`waiting for process ${holder}, which is building the Temporal server (lock ${file})`);
    told = true;
    await sleep(2000);
  }
}

/** The Go environment of the build: everything under the cache, so an empty HOME works. */
function goEnv(root: string, gobin: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: join(root, 'go'),
    GOMODCACHE: join(root, 'go', 'pkg', 'mod'),
    GOCACHE: join(root, 'go-build'),
    GOBIN: gobin,
    GOFLAGS: '-modcacherw',
    GOENV: 'off',
  };
}

/** Runs `go install` for the server and its SQL tool, saying every minute that it is still at it. */
async function goInstall(env: NodeJS.ProcessEnv, say: Say): Promise<void> {
  const pkgs = ['cmd/server', 'cmd/tools/sql'].map((p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);
  const started = Date.now();
  // the build runs in GOPATH, which a cold cache does not have yet: spawn in a missing directory
  // fails with ENOENT too, which read as "Go is not installed" on a fresh machine
  const cwd = env.GOPATH as string;
  mkdirSync(cwd, { recursive: true });
  const child = spawn('go', ['install', ...pkgs], { env, stdio: ['ignore', 'ignore', 'pipe'], cwd });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ticker = setInterval(
    () => say(`still building the Temporal server (${Math.round((Date.now() - started) / 1000)} s so far)`),
    60_000,
  );
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0) {
      const last = stderr.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`go install ${pkgs.join(' ')} failed (exit ${code}): ${last}`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `Go is not installed, and the Temporal server ${TEMPORAL_SERVER_VERSION} is built with it: ` +
          'install Go 1.26.8 or later (what its go.mod asks for) and put `go` on PATH.',
      );
    }
    throw err;
  } finally {
    clearInterval(ticker);
  }
  say(`built the Temporal server in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Builds into a fresh directory beside the version's and moves it into place when complete. */
async function build(root: string, versionDir: string, say: Say): Promise<void> {
  const work = `${versionDir}.building-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'bin'), { recursive: true });
  const env = goEnv(root, join(work, 'bin'));
  say(
    `building ${TEMPORAL_SERVER_MODULE} ${TEMPORAL_SERVER_VERSION} (server and SQL tool) with Go into ${versionDir}; ` +
      'the first build takes about 5 minutes, later runs reuse it',
  );
  try {
    await goInstall(env, say);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  renameSync(join(work, 'bin', 'server'), join(work, 'bin', 'temporal-server'));
  renameSync(join(work, 'bin', 'sql'), join(work, 'bin', 'temporal-sql-tool'));
  const source = join(env.GOMODCACHE ?? '', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`);
  cpSync(join(source, 'schema', 'postgresql', 'v12'), join(work, 'schema', 'postgresql', 'v12'), { recursive: true });
  rmSync(versionDir, { recursive: true, force: true });
  renameSync(work, versionDir);
}

/** Returns the cached server binaries, building them first when the cache has none. */
export async function ensureTemporalServer(say: Say = () => undefined): Promise<TemporalServerBinaries> {
  const root = temporalServerCacheDir();
  const versionDir = join(root, TEMPORAL_SERVER_VERSION);
  const found = binaries(versionDir);
  if (complete(found)) return found;
  mkdirSync(root, { recursive: true });
  const unlock = await lock(`${versionDir}.lock`, say);
  try {
    if (!complete(found)) await build(root, versionDir, say);
  } finally {
    unlock();
  }
  return found;
}

/** Where the server stores its data and visibility records, and as whom it connects. */
export interface TemporalDatabases {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Default: temporal. */
  database?: string;
  /** Default: temporal_visibility. */
  visibilityDatabase?: string;
}

function sqlTool(bin: TemporalServerBinaries, db: TemporalDatabases, database: string, args: string[]): void {
  const common = ['--plugin', 'postgres12', '--ep', db.host, '-p', String(db.port), '-u', db.user];
  const r = spawnSync(bin.sqlTool, [...common, '--pw', db.password, '--db', database, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    const said = (r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-2).join(' | ');
    throw new Error(`temporal-sql-tool ${args[0]} on database ${database} failed: ${said}`);
  }
}

/**
 * Creates the server's two databases (the user needs CREATEDB) and brings their schemas to the
 * version this server ships: `create-database`, `setup-schema -v 0.0`, `update-schema -d ...`.
 */
export function setupTemporalSchemas(bin: TemporalServerBinaries, db: TemporalDatabases, say: Say = () => undefined) {
  const schemas: [string, string][] = [
    [db.database ?? 'temporal', 'temporal'],
    [db.visibilityDatabase ?? 'temporal_visibility', 'visibility'],
  ];
  for (const [database, schema] of schemas) {
    say(`setting up the ${schema} schema in database ${database} with temporal-sql-tool`);
    sqlTool(bin, db, database, ['create-database']);
    sqlTool(bin, db, database, ['setup-schema', '-v', '0.0']);
    sqlTool(bin, db, database, ['update-schema', '-d', join(bin.schemaDir, schema, 'versioned')]);
  }
}

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

/**
 * A port below Linux's ephemeral range (32768 and up): the server stores its services' ports in
 * cluster_membership as SMALLINT, so a port above 32767 makes it exit at startup.
 */
const lowPort = () => 10_000 + Math.floor(Math.random() * 22_000);

/** Free ports, each distinct, all below 32768. */
async function pickPorts(ip: string): Promise<ServerPorts> {
  const names: (keyof ServerPorts)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ];
  const ports = {} as ServerPorts;
  const taken = new Set<number>();
  for (const name of names) {
    let port = lowPort();
    while (taken.has(port) || !(await portFree(port, ip))) port = lowPort();
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

const datastore = (db: TemporalDatabases, database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${JSON.stringify(database)}
        connectAddr: ${JSON.stringify(`${db.host}:${db.port}`)}
        connectProtocol: tcp
        user: ${JSON.stringify(db.user)}
        password: ${JSON.stringify(db.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;

const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http === undefined ? '' : `\n      httpPort: ${http}`}`;

/** The server's config: config/development-postgres12.yaml with our ports and databases. */
export function serverConfig(db: TemporalDatabases, ip: string, p: ServerPorts, dynamicConfigFile: string): string {
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${datastore(db, db.database ?? 'temporal', 20)}
    postgres-visibility:${datastore(db, db.visibilityDatabase ?? 'temporal_visibility', 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${JSON.stringify(ip)}
services:
  frontend:${service(p.frontend, p.frontendMembership, p.frontendHttp)}
  history:${service(p.history, p.historyMembership)}
  matching:${service(p.matching, p.matchingMembership)}
  worker:${service(p.worker, p.workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: ${JSON.stringify(`${ip}:${p.frontend}`)}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${JSON.stringify(dynamicConfigFile)}
  pollInterval: 10s
`;
}

export interface TemporalServerOptions {
  binaries: TemporalServerBinaries;
  databases: TemporalDatabases;
  /** Directory for the config files and the server log. */
  dataDir: string;
  ip?: string;
  dynamicConfig?: DynamicConfig;
  say?: Say;
  startTimeoutMs?: number;
}

export interface TemporalServer {
  address: string;
  ports: ServerPorts;
  configFile: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Stops the server: SIGTERM, then SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(-600);
  } catch {
    return '';
  }
}

class EarlyExit extends Error {}

/**
 * Starts the server on the schemas `setupTemporalSchemas` made and waits until its frontend answers.
 * The ports are picked free just before; one taken in between makes the server exit at startup,
 * so an early exit is retried twice with new ports.
 */
export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof EarlyExit) || attempt >= 3) throw err;
      opts.say?.(`${err.message}; starting it again`);
    }
  }
}

async function startOnce(opts: TemporalServerOptions): Promise<TemporalServer> {
  const say = opts.say ?? (() => undefined);
  const ip = opts.ip ?? '127.0.0.1';
  mkdirSync(opts.dataDir, { recursive: true });
  const ports = await pickPorts(ip);
  const dynamicConfigFile = join(opts.dataDir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, dynamicConfigYaml(opts.dynamicConfig ?? {}));
  const configFile = join(opts.dataDir, 'temporal-server.yaml');
  writeFileSync(configFile, serverConfig(opts.databases, ip, ports, dynamicConfigFile), { mode: 0o600 });
  const logFile = join(opts.dataDir, 'temporal-server.log');
  const log = openSync(logFile, 'a');
  const args = ['--config-file', configFile, '--allow-no-auth', 'start'];
  const child = spawn(opts.binaries.server, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  const address = `${ip}:${ports.frontend}`;
  say(`starting the Temporal server ${TEMPORAL_SERVER_VERSION} on ${address} (log ${logFile})`);
  const started = Date.now();
  const deadline = started + (opts.startTimeoutMs ?? 120_000);
  while (!(await serverAnswers(address))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new EarlyExit(
        `the Temporal server exited (${child.exitCode ?? child.signalCode}) before it answered: ${tail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stopChild(child, 5000);
      throw new Error(`the Temporal server did not answer on ${address} in time; see ${logFile}`);
    }
    await sleep(250);
  }
  say(`Temporal server answers on ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { address, ports, configFile, logFile, process: child, stop: () => stopChild(child, 20_000) };
}

function cli(cliPath: string, args: string[]): { ok: boolean; said: string } {
  const r = spawnSync(cliPath, args, { encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, said: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Runs `attempt` every second until it returns true; after `timeoutMs` throws with the last thing said. */
async function retry(what: string, attempt: () => { done: boolean; said?: string }, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = attempt();
    if (r.done) return;
    if (Date.now() > deadline) throw new Error(`${what} did not succeed in ${timeoutMs / 1000} s: ${r.said ?? ''}`);
    await sleep(1000);
  }
}

/**
 * Registers `namespace` (unless it exists) and Baton's search attributes on it with the Temporal
 * CLI (`temporal operator namespace create`, `temporal operator search-attribute create`), retrying
 * while the server's services are still joining, and waits until the frontend lists all of them.
 */
export async function prepareNamespace(address: string, namespace: string, say: Say = () => undefined): Promise<void> {
  const temporal = ensureTemporalCli(say);
  const at = ['--address', address, '--namespace', namespace];
  say(`registering namespace ${namespace} and Baton's search attributes on ${address}`);
  await retry(`temporal operator namespace create ${namespace}`, () => {
    if (cli(temporal, ['operator', 'namespace', 'describe', ...at]).ok) return { done: true };
    return { done: false, said: cli(temporal, ['operator', 'namespace', 'create', ...at, '--retention', '72h']).said };
  });
  const names = searchAttributeDefinitions().map((def) => def.split('=')[0]);
  const types = names.flatMap((name) => ['--name', name, '--type', 'Keyword']);
  await retry(`temporal operator search-attribute create ${names.join(' ')}`, () => {
    const listed = cli(temporal, ['operator', 'search-attribute', 'list', ...at]);
    if (listed.ok && names.every((name) => listed.said.includes(name))) return { done: true };
    return { done: false, said: cli(temporal, ['operator', 'search-attribute', 'create', ...at, ...types]).said };
  });
}
