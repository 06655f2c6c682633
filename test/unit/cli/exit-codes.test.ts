/** Every command's exit codes: which error gives which code (docs/cli.md has the table). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes';
import { FollowInterrupted } from '../../../src/client/follow-interrupted';
import { AbortedError, EngineError, WrongPasswordError } from '../../../src/engine/errors';
import { UserError } from '../../../src/model/errors';

test('restic’s codes where they fit: 10 no repository, 12 wrong password, 130 interrupted', () => {
  assert.deepEqual(EXIT, { ok: 0, failed: 1, incomplete: 3, noRepository: 10, wrongPassword: 12, interrupted: 130 });
  const cases: [string, unknown, number][] = [
    ['no drive', new EngineError('no baton drive at /x (no config file); run `baton repo init`', 'NO_DRIVE'), 10],
    ['wrong password', new WrongPasswordError('/x'), 12],
    ['a local command stopped by a signal', new AbortedError('backup'), 130],
    ['a follower stopped by Ctrl-C', new FollowInterrupted('baton-backup-demo-x-1'), 130],
    ['a refused request', new UserError('unknown app "x"'), 1],
    ['another engine error', new EngineError('drive full', 'DRIVE_FULL'), 1],
    ['a bug', new TypeError('x is undefined'), 1],
  ];
  for (const [name, err, code] of cases) assert.equal(exitCodeFor(err), code, name);
});

test('an interrupted follower says the job keeps running and how to see or cancel it', () => {
  assert.equal(
    new FollowInterrupted('baton-backup-demo-db-1').message,
    'stopped following baton-backup-demo-db-1; the job keeps running: `baton job baton-backup-demo-db-1` shows it, ' +
      '`baton job cancel baton-backup-demo-db-1` cancels it',
  );
});
