import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogHostError, catalogHosts, recordNodeHost } from '../../../src/catalog/hosts';
import { describeCatalog } from '../../helpers/catalog';

describeCatalog('catalog hosts', (catalog) => {
  test('a node records its host; starting again on the same host updates it', async () => {
    await recordNodeHost(catalog.db(), catalog.url(), 'n1', 'host-a', '2026-12-04T00:00:00.000Z');
    await recordNodeHost(catalog.db(), catalog.url(), 'n2', 'host-a', '2026-12-04T00:01:00.000Z');
    const hosts = await catalogHosts(catalog.db());
    assert.deepEqual(
      hosts.map((h) => [h.host, h.node, h.first_seen, h.last_seen]),
      [['host-a', 'n2', '2026-12-04T00:00:00.000Z', '2026-12-04T00:01:00.000Z']],
    );
  });

  test('nodes of one host starting at once record it once; none fails', async () => {
    // each round a host not recorded yet: the three insert it at the same moment (SQLite, one host
    // only, takes no second one: there the three record the one it has)
    const sqlite = catalog.url().startsWith('sqlite:');
    const rounds = sqlite ? ['host-a'] : ['host-r0', 'host-r1', 'host-r2', 'host-r3', 'host-r4'];
    for (const host of rounds) {
      await Promise.all(
        ['n1', 'n2', 'n3'].map((n) => recordNodeHost(catalog.db(), catalog.url(), n, host, '2026-12-04T00:00:00.000Z')),
      );
    }
    const hosts = (await catalogHosts(catalog.db())).map((h) => h.host).filter((h) => rounds.includes(h));
    assert.deepEqual(hosts.sort(), rounds);
  });

  test('a second host: SQLite refuses it naming PostgreSQL and records nothing; PostgreSQL takes it', async () => {
    await recordNodeHost(catalog.db(), catalog.url(), 'n1', 'host-a', '2026-12-04T00:00:00.000Z');
    const second = recordNodeHost(catalog.db(), catalog.url(), 'n2', 'host-b', '2026-12-04T00:01:00.000Z');
    if (catalog.url().startsWith('sqlite:')) {
      await assert.rejects(second, (err: unknown) => {
        assert.ok(err instanceof CatalogHostError);
        assert.match(
          err.message,
          /^the SQLite catalog \/.*catalog\.db is already used from host host-a \(node n1\), and node n2 runs on host host-b; SQLite serves one host only .*set catalog\.url to a PostgreSQL database \(postgres:\/\/user:pass@host:port\/db\), see docs\/catalog\.md$/,
        );
        return true;
      });
      assert.deepEqual(
        (await catalogHosts(catalog.db())).map((h) => h.host),
        ['host-a'],
      );
    } else {
      await second;
      assert.deepEqual(
        (await catalogHosts(catalog.db())).map((h) => h.host),
        ['host-a', 'host-b'],
      );
    }
  });
});
