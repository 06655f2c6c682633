/**
 * A throwaway PostgreSQL server for tests, from Debian's postgresql package. PostgreSQL refuses to
 * run as root, so the data directory belongs to the postgres user. Returns undefined when the
 * server binaries are not installed (the caller says so and skips).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devtools/dev-server';
import { tempDir } from './temp';

export interface TestPostgres {
  url: string;
  stop(): void;
}

/** The newest PostgreSQL server's bin directory on this machine (Debian's layout), if any. */
export function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((d) => existsSync(join(d, 'pg_ctl')));
}

/** A fresh data directory owned by the postgres user, initialised, not yet started. */
export interface PostgresCluster {
  /** The data directory: postgresql.conf, pg_hba.conf and the server's files. */
  data: string;
  /** The postgres user's uid and gid, for files the server must own. */
  uid: number;
  gid: number;
  /** Starts the server on 127.0.0.1:`port`; `options` are more `-c name=value` settings. */
  start(port: number, options?: string): void;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): void;
}

/** Runs initdb as the postgres user in a fresh temporary directory; undefined without the server binaries. */
export function initCluster(prefix: string): PostgresCluster | undefined {
  const bin = binDir();
  if (!bin) return undefined;
  const tmp = tempDir(prefix);
  const dir = tmp.path;
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const asPostgres = (cmd: string, args: string[]) => {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const settings = (port: number, options: string) =>
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off ${options}`.trim();
  return {
    data,
    uid,
    gid,
    start: (port, options = '') =>
      asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', settings(port, options), '-w', 'start']),
    stop: () => {
      spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
      tmp.cleanup();
    },
  };
}

export async function startPostgres(): Promise<TestPostgres | undefined> {
  const cluster = initCluster('baton-pg-');
  if (!cluster) return undefined;
  const port = await freePort();
  cluster.start(port);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: () => cluster.stop() };
}
