/**
 * A throwaway PostgreSQL server that accepts TLS connections only (ssl=on, pg_hba `hostssl`, plain
 * connections rejected), with a server certificate from test/helpers/tls-terminator.ts's test CA.
 * Like test/helpers/postgres.ts, from Debian's postgresql package, run as the postgres user;
 * undefined when the server binaries are not installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devtools/dev-server';
import { tempDir } from './temp';
import { binDir } from './postgres';
import type { TestCertificates } from './tls-terminator';

export interface TlsPostgres {
  /**
   * postgres://postgres@localhost:<port>/postgres, without TLS parameters. A host name, not
   * 127.0.0.1: pg checks the certificate of a server given by IP address against "localhost".
   */
  url: string;
  stop(): void;
}

export async function startTlsPostgres(certs: TestCertificates): Promise<TlsPostgres | undefined> {
  const bin = binDir();
  if (!bin) return undefined;
  const port = await freePort();
  const tmp = tempDir('baton-pg-tls-');
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
  // the server reads its key only when the postgres user owns it and nobody else can read it
  for (const [from, to] of [
    [certs.serverCert, 'server.crt'],
    [certs.serverKey, 'server.key'],
  ]) {
    copyFileSync(from, join(data, to));
    chownSync(join(data, to), uid, gid);
    chmodSync(join(data, to), 0o600);
  }
  writeFileSync(
    join(data, 'pg_hba.conf'),
    'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n',
  );
  asPostgres('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://postgres@localhost:${port}/postgres`,
    stop: () => {
      spawnSync('runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
      tmp.cleanup();
    },
  };
}
