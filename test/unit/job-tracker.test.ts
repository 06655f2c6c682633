import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobTracker } from '../../src/workflows/job-tracker';
import type { BackupJobInput } from '../../src/workflows/types';

const input: BackupJobInput = {
  cluster: 'c',
  jobId: 'baton-backup-db-1',
  coordinatorId: 'baton-coordinator-c',
  app: { name: 'db', paths: ['/d'], restart: 'auto', maxCheckpointAgeSeconds: 60 },
  node: 'n1',
  drive: { name: 'd1', node: 'n1', kind: 'directory', path: '/san/d1' },
  requestedBy: 'test',
};

test('progress only moves forward', () => {
  const t = new JobTracker(input);
  const p = (files: number, bytes: number) => ({
    files,
    bytes,
    totalFiles: 10,
    totalBytes: 1000,
    lastPath: `/d/${files}`,
    checkpointAt: 'now',
  });
  t.progress(p(5, 500));
  t.progress(p(3, 300));
  assert.equal(t.get().progress?.files, 5);
  t.progress(p(6, 600));
  assert.equal(t.get().progress?.files, 6);
});

test('details name the app, node, drive, progress and outcome', () => {
  const t = new JobTracker(input);
  t.running();
  t.progress({ files: 1, bytes: 2048, totalFiles: 4, totalBytes: 8192, lastPath: '/d/a', checkpointAt: 'T1' });
  const d = t.details();
  assert.match(d, /\*\*running\*\* backup of `db` on `n1` to drive `d1`, attempt 1/);
  assert.match(d, /1\/4 files, 2\.0 KiB\/8\.0 KiB \(25%\)/);
  assert.match(d, /last checkpoint: T1 at `\/d\/a`/);
  t.failed('drive full');
  assert.match(t.details(), /error: drive full/);
  assert.equal(t.get().state, 'failed');
});
