/**
 * The node's monitoring endpoint, one HTTP port: `/metrics` serves Baton's metrics (prom-client)
 * followed by the Temporal SDK's runtime metrics, which the Rust core exports on a loopback port
 * of its own that this server scrapes on every request (one target for Prometheus, one port to
 * open); `/healthz` answers 200 or 503 with a short JSON body. It listens before the node connects
 * to anything, so a port already in use stops the node at once with an error naming the address.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Registry } from 'prom-client';
import { UserError } from '../model/errors';

export interface Health {
  ok: boolean;
  [detail: string]: unknown;
}

export interface MetricsServerOptions {
  /** HOST:PORT to listen on ([::1]:9464 for IPv6). */
  listen: string;
  registry: Registry;
  /** The Temporal runtime's own exporter (http://127.0.0.1:<port>/metrics), appended to /metrics. */
  runtimeUrl?: string;
  health: () => Health;
}

export interface MetricsServer {
  /** The address it listens on, HOST:PORT. */
  address: string;
  close(): Promise<void>;
}

export const LISTEN_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

/** Splits HOST:PORT; a bad one is a UserError naming the form. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = LISTEN_PATTERN.exec(listen);
  const port = m ? Number(m[2]) : -1;
  if (!m || port > 65535) {
    throw new UserError(`metrics address "${listen}" is not HOST:PORT; give one like 127.0.0.1:9464 or 0.0.0.0:9464`);
  }
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** A TCP port free on 127.0.0.1 right now, for the runtime's exporter. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Baton's metrics, then the runtime's (or a comment saying why they are missing). */
async function metricsText(opts: MetricsServerOptions): Promise<string> {
  const own = await opts.registry.metrics();
  if (!opts.runtimeUrl) return own;
  try {
    const res = await fetch(opts.runtimeUrl, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return `${own}\n${await res.text()}`;
  } catch (err) {
    return `${own}\n# Temporal runtime metrics unavailable from ${opts.runtimeUrl}: ${(err as Error).message}\n`;
  }
}

async function handle(opts: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/metrics') {
    const body = await metricsText(opts);
    res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
  } else if (path === '/healthz') {
    const health = opts.health();
    res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(health)}\n`);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
  }
}

/** Listens on `opts.listen`; rejects with a UserError when the address is in use or cannot be bound. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = parseListen(opts.listen);
  const server: Server = createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`# metrics failed: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(opts.listen, err)));
    server.listen(port, host, resolve);
  });
  // The node's workers keep the process alive; the endpoint alone must not (a node that fails to
  // start exits with its error instead of serving metrics of nothing).
  server.unref();
  const bound = server.address() as { port: number };
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${bound.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function listenError(listen: string, err: NodeJS.ErrnoException): UserError {
  const fix =
    'stop what listens there, or give this node another address with `baton node --metrics-listen HOST:PORT` ' +
    '(or nodes[].metricsListen in baton.yaml)';
  if (err.code === 'EADDRINUSE') {
    return new UserError(`metrics address ${listen} is already in use (another node process or exporter?); ${fix}`);
  }
  return new UserError(`cannot serve metrics on ${listen} (${err.code ?? err.message}); ${fix}`);
}
