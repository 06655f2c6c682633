import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCatalogUrl } from '../../../src/catalog/dialect';

test('catalog URLs: sqlite paths and postgres, anything else refused with the fix', () => {
  assert.deepEqual(parseCatalogUrl('sqlite:/a/b.db'), { kind: 'sqlite', target: '/a/b.db' });
  assert.deepEqual(parseCatalogUrl('sqlite:///a/b.db'), { kind: 'sqlite', target: '/a/b.db' });
  assert.equal(parseCatalogUrl('postgres://u@h/db').kind, 'postgres');
  assert.throws(() => parseCatalogUrl('mysql://x'), /use sqlite:\/path\/to\/catalog\.db or postgres:\/\//);
  assert.throws(() => parseCatalogUrl('sqlite:'), /has no file path/);
});
