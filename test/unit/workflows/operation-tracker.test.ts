/** The restore/verify workflows' pure state: views, Web UI details, timeline messages and failure messages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OperationTracker, verifyFailureMessage } from '../../../src/workflows/operation-tracker';
import { formatBytes } from '../../../src/model/format';
import { restoreWorkflowId, verifyWorkflowId } from '../../../src/model/names';
import type { SnapshotSource, VerifyOutcome } from '../../../src/model/operations';

const source: SnapshotSource = {
  snapshotId: '0123456789abcdef'.repeat(4),
  app: 'db',
  jobId: 'baton-backup-db-x',
  drive: 'n2-disk',
  drivePath: '/san/n2',
  at: 't',
  files: 10,
  bytes: 4 * 1024 * 1024,
};

const verifyOutcome = (over: Partial<VerifyOutcome> = {}): VerifyOutcome => ({
  drive: 'n2-disk',
  node: 'n2',
  readData: true,
  ok: true,
  errorCount: 0,
  errors: [],
  infos: 0,
  snapshots: 2,
  packs: 3,
  blobs: 40,
  bytesRead: 5000,
  durationMs: 12,
  ...over,
});

test('restore and verify IDs name the app or drive and the time', () => {
  const ms = Date.UTC(2026, 10, 27, 1, 23, 45, 678);
  assert.equal(restoreWorkflowId('prod', 'sample-db', ms), 'baton-restore-prod-sample-db-20261127T012345.678Z');
  assert.equal(verifyWorkflowId('prod', 'node-2-disk', ms), 'baton-verify-prod-node-2-disk-20261127T012345.678Z');
});

const byteCases: { name: string; n: number; shown: string }[] = [
  { name: 'bytes', n: 512, shown: '512 B' },
  { name: 'KiB', n: 1536, shown: '1.5 KiB' },
  { name: 'MiB', n: 7 * 1024 * 1024, shown: '7.0 MiB' },
  { name: 'GiB', n: 3 * 1024 ** 3, shown: '3.0 GiB' },
];
for (const k of byteCases) test(`formatBytes: ${k.name}`, () => assert.equal(formatBytes(k.n), k.shown));

test('a restore goes pending -> running -> succeeded, with details the Web UI shows at each step', () => {
  const op = new OperationTracker({ jobId: 'j', kind: 'restore', app: 'db', node: null, target: '/r', subtree: null });
  assert.equal(op.view().state, 'pending');
  assert.equal(op.view().accepted, false);
  assert.equal(op.details(), 'restore of **db**: checking the snapshot, the node and the target');
  op.progress({ files: 1, bytes: 1, totalFiles: 1, totalBytes: 1, currentPath: null }); // too early: ignored
  op.located('n3', source);
  assert.equal(op.view().progress?.files, 0);
  op.running();
  assert.equal(op.view().accepted, true);
  assert.equal(
    op.details(),
    'restore of **db** snapshot `0123456789ab` (10 files, 4.0 MiB) from drive n2-disk on n3 into `/r`: running\n\n' +
      'live progress: the `summary` in the heartbeat details of the pending `restoreSnapshot` activity (Pending Activities)',
  );
  // a workflow whose activity signalled progress (an older history) shows it
  op.progress({ files: 4, bytes: 1024 * 1024, totalFiles: 10, totalBytes: 4 * 1024 * 1024, currentPath: '/r/a' });
  assert.equal(
    op.details(),
    'restore of **db** snapshot `0123456789ab` from drive n2-disk on n3 into `/r`: 4 of 10 files, ' +
      '1.0 MiB of 4.0 MiB (25%)\n\nlast file: `/r/a`',
  );
  op.restored({
    snapshotId: source.snapshotId,
    node: 'n3',
    target: '/r',
    files: 10,
    dirs: 2,
    bytes: 4 * 1024 * 1024,
    skipped: [],
    durationMs: 30,
  });
  assert.equal(op.endState(), 'succeeded');
  assert.deepEqual(op.counts(), { files: 10, bytes: 4 * 1024 * 1024 });
  assert.equal(
    op.endMessage(),
    'restore of db succeeded: 10 files, 2 directories, 4194304 bytes of snapshot 0123456789ab into /r on n3 in 30 ms',
  );
  const result = op.result();
  assert.equal(result.state, 'succeeded');
  assert.equal(result.node, 'n3');
  assert.equal(result.restore?.files, 10);
  assert.equal(result.error, undefined);
});

test('a failed or cancelled restore says how far it got', () => {
  const op = new OperationTracker({ jobId: 'j', kind: 'restore', app: 'db', target: '/r' });
  op.located('n3', source);
  op.running();
  op.progress({ files: 3, bytes: 300, totalFiles: 10, totalBytes: 1000, currentPath: null });
  op.failed('blob b in pack p is damaged');
  assert.equal(op.endState(), 'failed');
  assert.equal(op.endMessage(), 'restore of db failed after 3 files, 300 bytes: blob b in pack p is damaged');
  const cancelled = new OperationTracker({ jobId: 'j', kind: 'restore', app: 'db', target: '/r' });
  cancelled.running();
  cancelled.cancelled();
  assert.equal(cancelled.endState(), 'cancelled');
  assert.equal(cancelled.result().error, 'restore cancelled on request');
});

test('a verify that found damage fails with every damaged pack named', () => {
  const op = new OperationTracker({ jobId: 'j', kind: 'verify', node: 'n2', drive: 'n2-disk', readData: true });
  op.running();
  assert.equal(
    op.details(),
    'verify of drive **n2-disk** on n2 (reading all data): running\n\n' +
      'live progress: the `summary` in the heartbeat details of the pending `verifyDrive` activity (Pending Activities)',
  );
  op.verified(
    verifyOutcome({
      ok: false,
      errorCount: 5,
      errors: [
        { kind: 'pack-data', pack: 'p1', message: 'pack p1 has the wrong content' },
        { kind: 'blob-data', pack: 'p1', blob: 'b1', path: '/a', message: 'blob b1 failed; it holds data of /a' },
        { kind: 'pack-data', pack: 'p2', message: 'pack p2 has the wrong content' },
        { kind: 'missing-blob', message: 'chunk c of /b is not in any index' },
      ],
    }),
  );
  assert.equal(op.endState(), 'failed');
  assert.equal(
    op.view().error,
    'verify of drive n2-disk on n2 found 5 errors in packs p1, p2: pack p1 has the wrong content; ' +
      'blob b1 failed; it holds data of /a; pack p2 has the wrong content; and 2 more. Snapshots using these ' +
      'packs cannot be fully restored: back the affected apps up again, then `baton repo forget` the damaged ' +
      'snapshots and `baton repo prune`',
  );
});

test('verifyFailureMessage: one error, no pack', () => {
  const msg = verifyFailureMessage(
    verifyOutcome({ ok: false, errorCount: 1, errors: [{ kind: 'index', message: 'index file i is damaged' }] }),
  );
  assert.match(msg, /^verify of drive n2-disk on n2 found 1 error: index file i is damaged\. Snapshots/);
});

test('a clean verify succeeds and its timeline message has the counts', () => {
  const op = new OperationTracker({ jobId: 'j', kind: 'verify', node: 'n2', drive: 'n2-disk', readData: true });
  op.running();
  op.verified(verifyOutcome());
  assert.equal(op.endState(), 'succeeded');
  assert.equal(
    op.endMessage(),
    'verify of drive n2-disk found no errors: 2 snapshots, 3 packs, 40 blobs, 5000 bytes read in 12 ms',
  );
  assert.equal(
    op.details(),
    'verify of drive **n2-disk** on n2 (reading all data): no errors in 2 snapshots, 3 packs, 40 blobs, 4.9 KiB read',
  );
  assert.deepEqual(op.counts(), { files: null, bytes: 5000 });
});
