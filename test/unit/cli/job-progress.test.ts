/** A followed job's views as progress lines: where it runs, and only its current attempt's counters. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { showBackupView, showOperationView } from '../../../src/cli/job-progress';
import { ProgressRenderer } from '../../../src/cli/progress-renderer';
import type { AttemptView, BackupProgress, JobView } from '../../../src/model/backup';
import type { OperationView } from '../../../src/model/operations';

function renderer() {
  const lines: string[] = [];
  let now = 0;
  const r = new ProgressRenderer({
    out: { write: (c: string) => lines.push(c) },
    mode: 'json',
    now: () => (now += 1000),
  });
  return { r, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const progress = (epoch: number, bytes: number): BackupProgress => ({
  files: 1,
  bytes,
  totalFiles: 2,
  totalBytes: 1000,
  rateBytesPerSecond: 0,
  etaSeconds: null,
  lastPath: null,
  checkpointAt: null,
  epoch,
});
const attempt = (number: number, epoch: number, node: string): AttemptView => ({
  number,
  epoch,
  node,
  drive: `${node}-disk`,
  outcome: 'running',
  restart: null,
});
const view = (attempts: AttemptView[], p: BackupProgress | null): JobView => {
  const last = attempts[attempts.length - 1];
  return {
    jobId: 'j',
    app: 'db',
    node: last?.node ?? 'node-1',
    drive: 'd',
    attempt: last?.number ?? 0,
    state: 'running',
    progress: p,
    attempts,
  };
};

test('a backup’s counters show on its node; an older attempt’s are not shown as the new node’s', () => {
  const { r, lines } = renderer();
  showBackupView(r, view([], null));
  showBackupView(r, view([attempt(1, 5, 'node-1')], progress(5, 100)));
  showBackupView(r, view([attempt(1, 5, 'node-1'), attempt(2, 6, 'node-3')], progress(5, 400)));
  showBackupView(r, view([attempt(1, 5, 'node-1'), attempt(2, 6, 'node-3')], progress(6, 300)));
  assert.deepEqual(
    lines().map((l) => [l.message_type, l.node, l.bytes_done ?? l.attempt]),
    [
      ['status', 'node-1', 100],
      ['node_change', 'node-3', 2],
      ['status', 'node-3', 300],
    ],
  );
});

test('a restore’s counters show while it runs, not before it is accepted', () => {
  const { r, lines } = renderer();
  const v: OperationView = {
    jobId: 'r',
    kind: 'restore',
    state: 'pending',
    accepted: false,
    app: 'db',
    node: 'node-2',
    drive: 'node-2-disk',
    snapshotId: 's',
    target: '/t',
    subtree: null,
    readData: false,
    progress: { files: 1, bytes: 10, totalFiles: 4, totalBytes: 40, currentPath: null },
  };
  showOperationView(r, v);
  showOperationView(r, { ...v, state: 'running', accepted: true });
  assert.deepEqual(
    lines().map((l) => [l.node, l.bytes_done, l.percent_done]),
    [['node-2', 10, 0.25]],
  );
});
