/**
 * The hosts whose node processes use the catalog. SQLite serves one host only: its WAL mode needs
 * every process on one machine and does not work over a network filesystem, and fencing rests on
 * this catalog. So a node records its host when it starts, and a SQLite catalog that already
 * holds another host refuses it; PostgreSQL takes any number of hosts (and records them too).
 */
import { BatonError } from '../model/errors';
import { parseCatalogUrl } from './dialect';
import type { Catalog } from './open';

export class CatalogHostError extends BatonError {}

/**
 * Records that node `node` on `host` uses the catalog. On SQLite, refuses (CatalogHostError,
 * changing nothing) when another host is already recorded.
 */
export async function recordNodeHost(
  db: Catalog,
  url: string,
  node: string,
  host: string,
  nowIso: string,
): Promise<void> {
  const { kind, target } = parseCatalogUrl(url);
  await db.transaction().execute(async (trx) => {
    const others = await trx.selectFrom('hosts').select(['host', 'node']).where('host', '!=', host).execute();
    if (kind === 'sqlite' && others.length > 0) {
      const seen = others.map((o) => `${o.host} (node ${o.node})`).join(', ');
      throw new CatalogHostError(
        `the SQLite catalog ${target} is already used from host ${seen}, and node ${node} runs on host ${host}; ` +
          'SQLite serves one host only (its WAL does not work across hosts or over a network filesystem): ' +
          'for nodes on several hosts set catalog.url to a PostgreSQL database (postgres://user:pass@host:port/db), see docs/catalog.md',
      );
    }
    // One statement, not an update then an insert: the nodes of one host start together, and two
    // inserting a host neither saw would break the primary key and stop a node (on PostgreSQL).
    await trx
      .insertInto('hosts')
      .values({ host, node, first_seen: nowIso, last_seen: nowIso })
      .onConflict((oc) => oc.column('host').doUpdateSet({ node, last_seen: nowIso }))
      .execute();
  });
}

/** The hosts recorded, oldest first. */
export function catalogHosts(db: Catalog) {
  return db.selectFrom('hosts').selectAll().orderBy('first_seen').orderBy('host').execute();
}
