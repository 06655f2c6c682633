/**
 * The client's typed errors alone: each is its own class (instanceof tells them apart), a
 * UserError (the CLI prints it in one line), carries what was asked and what was known, and says
 * in its message what the config lists.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatonConfig } from '../../../src/config/load';
import { BatonError, UserError } from '../../../src/model/errors';
import {
  SnapshotNotFoundError,
  UnknownAppError,
  UnknownDriveError,
  UnknownNodeError,
  requireApp,
  requireNode,
} from '../../../src/client/errors';
import { testPlan } from '../../helpers/fixtures';

const config = { file: '/etc/baton.yaml', cluster: 'c', plan: testPlan() } as BatonConfig;

test('an unknown app is an UnknownAppError naming the apps of the config', () => {
  assert.doesNotThrow(() => requireApp(config, 'db'));
  const err = (() => {
    try {
      requireApp(config, 'ghost');
    } catch (e) {
      return e;
    }
    return assert.fail('requireApp accepted ghost');
  })();
  assert.ok(err instanceof UnknownAppError && err instanceof UserError && err instanceof BatonError);
  assert.equal(err.name, 'UnknownAppError');
  assert.equal(err.app, 'ghost');
  assert.deepEqual(err.known, ['db']);
  assert.equal(err.message, 'unknown app "ghost"; apps in /etc/baton.yaml: db');
});

test('an unknown node is an UnknownNodeError naming the nodes, and not an UnknownAppError', () => {
  assert.doesNotThrow(() => requireNode(config, 'n2'));
  assert.throws(
    () => requireNode(config, 'n9'),
    (err: unknown) =>
      err instanceof UnknownNodeError &&
      !(err instanceof UnknownAppError) &&
      err.node === 'n9' &&
      err.message === 'unknown node "n9"; nodes in /etc/baton.yaml: n1, n2',
  );
});

test('an empty list says none; a drive and a snapshot error carry what was asked', () => {
  const drive = new UnknownDriveError('d9', [], '/etc/baton.yaml');
  assert.equal(drive.message, 'unknown drive "d9"; drives in /etc/baton.yaml: none');
  const snap = new SnapshotNotFoundError('db', 'abcd', 'no snapshot of db matches abcd');
  assert.ok(snap instanceof UserError);
  assert.equal(snap.name, 'SnapshotNotFoundError');
  assert.deepEqual([snap.app, snap.snapshot, snap.message], ['db', 'abcd', 'no snapshot of db matches abcd']);
});
