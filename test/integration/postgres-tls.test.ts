/**
 * The PostgreSQL catalog over TLS through its URL alone: pg reads libpq's sslmode and sslrootcert
 * from the connection string. A real PostgreSQL that takes TLS connections only: verify-full with
 * the right CA opens and migrates the catalog over TLS; the wrong CA and a plain connection are
 * refused.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openCatalog } from '../../src/catalog/open';
import { startTlsPostgres, type TlsPostgres } from '../helpers/postgres-tls';
import { tempDir } from '../helpers/temp';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-terminator';

describe('PostgreSQL catalog over TLS', { timeout: 120_000 }, () => {
  let pg: TlsPostgres | undefined;
  let certs: TestCertificates;

  before(async () => {
    certs = makeTestCertificates(join(tempDir().path, 'certs'));
    pg = await startTlsPostgres(certs);
  });
  after(() => pg?.stop());

  test('sslmode=verify-full&sslrootcert=<CA> opens and migrates the catalog over TLS', async (t) => {
    if (!pg) return t.skip('PostgreSQL server binaries are not installed');
    const catalog = await openCatalog(`${pg.url}?sslmode=verify-full&sslrootcert=${certs.ca}`);
    try {
      const { rows } = await sql<{
        ssl: boolean;
      }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(catalog);
      assert.deepEqual(rows, [{ ssl: true }]);
      const jobs = await catalog.selectFrom('jobs').selectAll().execute();
      assert.deepEqual(jobs, []);
    } finally {
      await catalog.destroy();
    }
  });

  test('a CA that did not sign the server certificate, and a plain connection, are refused', async (t) => {
    if (!pg) return t.skip('PostgreSQL server binaries are not installed');
    await assert.rejects(
      openCatalog(`${pg.url}?sslmode=verify-full&sslrootcert=${certs.otherCa}`),
      /self[- ]signed certificate|unable to (get|verify)/,
    );
    await assert.rejects(openCatalog(`${pg.url}?sslmode=disable`), /no encryption/);
  });
});
