import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkAllowedPaths, pathsOutside } from '../../../src/activities/allowed-roots';
import { isFinalBackupFailure } from '../../../src/model/failures';
import { tempDir } from '../../helpers/temp';

test('a path is allowed at or under a root, not beside it or above it', () => {
  assert.deepEqual(pathsOutside(['/data/db', '/data/db/x', '/san/d1'], ['/data/db', '/san']), []);
  assert.deepEqual(pathsOutside(['/data/dbx', '/data', '/etc/shadow', '/data/db/../../etc'], ['/data/db']), [
    '/data/dbx',
    '/data',
    '/etc/shadow',
    '/data/db/../../etc',
  ]);
  assert.deepEqual(pathsOutside(['/anything'], ['/']), []);
});

test('a symbolic link under a root that points outside it is outside', () => {
  const dir = tempDir().path;
  mkdirSync(join(dir, 'root'));
  mkdirSync(join(dir, 'elsewhere'));
  symlinkSync(join(dir, 'elsewhere'), join(dir, 'root', 'link'));
  assert.deepEqual(pathsOutside([join(dir, 'root', 'link')], [join(dir, 'root')]), [join(dir, 'root', 'link')]);
  // and a root reached through a link holds what lies under its target
  symlinkSync(join(dir, 'root'), join(dir, 'root-link'));
  assert.deepEqual(pathsOutside([join(dir, 'root', 'data')], [join(dir, 'root-link')]), []);
});

test('a path outside the roots fails non-retryably as PathNotAllowed, naming the path, the roots and the setting', () => {
  const allowed = { roots: ['/data/db'], setting: 'nodes[].allowedRoots of n1 in /etc/baton/baton.yaml' };
  assert.doesNotThrow(() => checkAllowedPaths(allowed, 'n1', "app db's data path", ['/data/db/main']));
  assert.doesNotThrow(() => checkAllowedPaths(undefined, 'n1', "app db's data path", ['/etc']));
  assert.throws(
    () => checkAllowedPaths(allowed, 'n1', "app db's data path", ['/data/db', '/etc']),
    (err: unknown) =>
      err instanceof ApplicationFailure &&
      err.type === 'PathNotAllowed' &&
      err.nonRetryable &&
      isFinalBackupFailure(err.type) &&
      err.message ===
        "app db's data path /etc is outside the roots node n1 allows (/data/db: nodes[].allowedRoots of n1 in " +
          "/etc/baton/baton.yaml); node n1 refuses it. Add a root that holds it to nodes[].allowedRoots in the node's " +
          'own config and restart the node, or fix the path in the plan',
  );
});
