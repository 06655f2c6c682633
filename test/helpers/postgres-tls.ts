/**
 * A throwaway PostgreSQL server that accepts TLS connections only (ssl=on, pg_hba `hostssl`, plain
 * connections rejected), with a server certificate from test/helpers/tls-terminator.ts's test CA.
 * Like test/helpers/postgres.ts, from Debian's postgresql package, run as the postgres user;
 * undefined when the server binaries are not installed.
 */
import { chmodSync, chownSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devtools/dev-server';
import { initCluster } from './postgres';
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
  const cluster = initCluster('baton-pg-tls-');
  if (!cluster) return undefined;
  const { data, uid, gid } = cluster;
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
  const port = await freePort();
  cluster.start(port, '-c ssl=on');
  return { url: `postgres://postgres@localhost:${port}/postgres`, stop: () => cluster.stop() };
}
