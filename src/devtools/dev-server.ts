/**
 * Starts a Temporal dev server (the Temporal CLI's `server start-dev`) with Baton's search
 * attributes registered, and waits until it answers. The demo and the tests both start theirs here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeDefinitions } from '../model/names';
import { COORDINATOR_UPDATES_DYNAMIC_CONFIG, FROZEN_NODE_DYNAMIC_CONFIG } from '../model/server-dynamic-config';
import { ensureTemporalCli, type Say } from './temporal-cli';

export interface DevServerOptions {
  /** Directory for the SQLite store and the server log. */
  dataDir: string;
  ip?: string;
  /** gRPC port; 0 picks a free one. */
  port?: number;
  /** Web UI port; 0 picks a free one. Ignored when headless. */
  uiPort?: number;
  headless?: boolean;
  /** Extra dynamic config, e.g. { 'limit.historyCount.suggestContinueAsNew': 50 }, over the two above. */
  dynamicConfig?: Record<string, unknown>;
  say?: Say;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** True when nothing listens on `port` at `ip`. */
export async function portFree(port: number, ip = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, ip, () => server.close(() => resolve(true)));
  });
}

export async function freePort(ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, ip, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** True when something answers Temporal's API at `address`. */
export async function serverAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** How many times a dev server that exits before it answers is started. */
const START_ATTEMPTS = 3;

/**
 * Starts the dev server and waits for it to answer. The server picks its internal services' ports
 * itself (bind, close, bind again), so a port taken in between, even by one of its own outgoing
 * connections, makes it exit at startup; such an early exit is retried. Ports the caller chose are
 * kept; ports left to us are picked afresh each time.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (!(err instanceof EarlyExit) || attempt >= START_ATTEMPTS) throw err;
      opts.say?.(`${err.message}; starting it again`);
    }
  }
}

class EarlyExit extends Error {}

async function startOnce(opts: DevServerOptions): Promise<DevServer> {
  const say = opts.say ?? (() => undefined);
  const cli = ensureTemporalCli(say);
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const uiPort = opts.headless ? null : opts.uiPort || (await freePort(ip));
  mkdirSync(opts.dataDir, { recursive: true });
  const logFile = join(opts.dataDir, 'temporal-server.log');
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(port),
    '--db-filename',
    join(opts.dataDir, 'temporal.db'),
    '--log-level',
    'warn',
    ...searchAttributeDefinitions().flatMap((def) => ['--search-attribute', def]),
    ...Object.entries({
      ...FROZEN_NODE_DYNAMIC_CONFIG,
      ...COORDINATOR_UPDATES_DYNAMIC_CONFIG,
      ...opts.dynamicConfig,
    }).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${JSON.stringify(v)}`]),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
  ];
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const log = openSync(logFile, 'a');
  const child = spawn(cli, args, { stdio: ['ignore', log, log], detached: false });
  closeSync(log);
  const address = `${ip}:${port}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (!(await serverAnswers(address))) {
    if (exited !== undefined) {
      const said = lastLines(logFile, logStart);
      throw new EarlyExit(
        `Temporal dev server on ${address} exited with code ${exited} before it answered` +
          (said ? `, saying: ${said}` : '') +
          `; see ${logFile}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Temporal dev server did not answer on ${address} in time; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { address, uiUrl: uiPort === null ? null : `http://${ip}:${uiPort}`, logFile, process: child, stop };
}

/** The last few lines `file` gained after byte `from`, joined into one, for an error message. */
function lastLines(file: string, from: number): string {
  try {
    const text = readFileSync(file).subarray(from).toString('utf8');
    return text.trim().split('\n').slice(-3).join(' | ').slice(-600);
  } catch {
    return '';
  }
}
