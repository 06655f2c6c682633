/**
 * The HTTP server of `baton status --serve HOST:PORT` (node:http, read-only): `GET /` is the
 * status page, `GET /status.json` its data; any other method is 405, any other path 404. Each
 * request reads the sources afresh. A bad or busy address is a UserError naming it and the fix.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { UserError } from '../model/errors';
import { LISTEN_PATTERN } from '../metrics/metrics-server';
import { renderStatusPage, statusJson, type StatusPageAnswer } from './status-page-html';

export interface StatusPageServer {
  /** The address it listens on, HOST:PORT. */
  address: string;
  close(): Promise<void>;
}

/** Splits HOST:PORT; a bad one is a UserError naming the form. */
export function parseServeAddress(listen: string): { host: string; port: number } {
  const m = LISTEN_PATTERN.exec(listen);
  const port = m ? Number(m[2]) : -1;
  if (!m || port > 65535) {
    throw new UserError(`--serve "${listen}" is not HOST:PORT; give one like 127.0.0.1:8080 or 0.0.0.0:8080`);
  }
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

async function handle(
  cluster: string,
  load: () => Promise<StatusPageAnswer>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only: only GET\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/' && path !== '/status.json') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try / or /status.json\n');
    return;
  }
  const answer = await load();
  const code = answer.ok ? 200 : 503;
  const headers = { 'cache-control': 'no-store' };
  if (path === '/') {
    res.writeHead(code, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : renderStatusPage(answer, cluster));
  } else {
    res.writeHead(code, { ...headers, 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : `${statusJson(answer)}\n`);
  }
}

/** Listens on `listen`; rejects with a UserError when the address is in use or cannot be bound. */
export async function startStatusPageServer(
  listen: string,
  cluster: string,
  load: () => Promise<StatusPageAnswer>,
): Promise<StatusPageServer> {
  const { host, port } = parseServeAddress(listen);
  const server: Server = createServer((req, res) => {
    handle(cluster, load, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`status page failed: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(listen, err)));
    server.listen(port, host, resolve);
  });
  const bound = server.address() as { port: number };
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${bound.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenError(listen: string, err: NodeJS.ErrnoException): UserError {
  const fix = 'stop what listens there, or give another address with `baton status --serve HOST:PORT`';
  if (err.code === 'EADDRINUSE') return new UserError(`status page address ${listen} is already in use; ${fix}`);
  return new UserError(`cannot serve the status page on ${listen} (${err.code ?? err.message}); ${fix}`);
}
