/** The live progress heartbeat details: their one-line summaries and the shape check viewers apply. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupProgress } from '../../../src/model/backup';
import {
  backupHeartbeatOf,
  backupSummary,
  formatSeconds,
  operationHeartbeatOf,
  operationSummary,
} from '../../../src/model/heartbeat';

const MiB = 1024 * 1024;
const progress = (over: Partial<BackupProgress> = {}): BackupProgress => ({
  files: 51,
  bytes: 3 * MiB,
  totalFiles: 120,
  totalBytes: 7.5 * MiB,
  rateBytesPerSecond: 120 * 1024,
  etaSeconds: 38,
  lastPath: '/data/f051',
  checkpointAt: '2026-12-04T04:00:15.000Z',
  epoch: 3,
  ...over,
});

test('formatSeconds reads as seconds, minutes or hours', () => {
  for (const [s, text] of [
    [0, '0 s'],
    [59.6, '1 min 0 s'],
    [95, '1 min 35 s'],
    [7300, '2 h 1 min'],
    [-3, '0 s'],
  ] as const) {
    assert.equal(formatSeconds(s), text, String(s));
  }
});

test('a backup summary says percent, files, bytes, rate, time left, last checkpoint and epoch', () => {
  assert.equal(
    backupSummary(progress()),
    '40%: 51 of about 120 files, 3.0 MiB of about 7.5 MiB at 120.0 KiB/s, about 38 s left; ' +
      'last checkpoint 2026-12-04T04:00:15.000Z; epoch 3',
  );
  // no previous snapshot: no estimate, no percent, no time left
  assert.equal(
    backupSummary(progress({ totalFiles: 0, totalBytes: 0, etaSeconds: null, checkpointAt: null })),
    '51 files, 3.0 MiB at 120.0 KiB/s; last checkpoint none yet; epoch 3',
  );
  // the estimate is the previous snapshot's size: a bigger backup stays at 99% until it commits
  assert.match(backupSummary(progress({ bytes: 9 * MiB, etaSeconds: null })), /^99%: /);
});

test('a restore summary counts against the snapshot; a verify says bytes read', () => {
  const p = { files: 30, bytes: 2 * MiB, totalFiles: 120, totalBytes: 8 * MiB, currentPath: '/r/a' };
  assert.equal(
    operationSummary('restore', p, 2),
    '25%: 30 of 120 files, 2.0 MiB of 8.0 MiB at 1.0 MiB/s, about 6 s left',
  );
  assert.equal(
    operationSummary('restore', { ...p, bytes: 8 * MiB, files: 120 }, 4),
    '100%: 120 of 120 files, 8.0 MiB of 8.0 MiB at 2.0 MiB/s',
  );
  assert.equal(
    operationSummary('verify', { files: 0, bytes: 5 * MiB, totalFiles: 0, totalBytes: 0, currentPath: null }, 0),
    '5.0 MiB read at 0 B/s',
  );
});

test('the shape check takes heartbeat details and refuses anything else', () => {
  const beat = { summary: 's', progress: progress(), checkpoint: null };
  assert.equal(backupHeartbeatOf(beat), beat);
  const op = { summary: 's', progress: { files: 1, bytes: 2, totalFiles: 3, totalBytes: 4, currentPath: null } };
  assert.equal(operationHeartbeatOf(op), op);
  for (const bad of [
    null,
    'text',
    { progress: progress() },
    { summary: 's', progress: { ...progress(), bytes: -1 } },
    { summary: 's', progress: { ...progress(), epoch: 'x' } },
    { summary: 's' },
  ]) {
    assert.equal(backupHeartbeatOf(bad), null, JSON.stringify(bad));
  }
  assert.equal(operationHeartbeatOf({ summary: 's', progress: { files: 1, bytes: 2 } }), null);
  assert.equal(operationHeartbeatOf(null), null);
});
