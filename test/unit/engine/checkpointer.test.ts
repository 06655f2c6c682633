import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CheckpointSchedule,
  Checkpointer,
  INLINE_NODES,
  LOCK_REFRESH_MS,
  checkpointFrames,
} from '../../../src/engine/checkpointer';
import type { CheckpointerDeps } from '../../../src/engine/checkpointer';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { newTally } from '../../../src/engine/backup-tally';
import type { Frame } from '../../../src/engine/tree-saver';
import type { TreeNode } from '../../../src/engine/tree';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function nodes(n: number): TreeNode[] {
  return Array.from({ length: n }, (_, i) => ({ name: `n${i}`, type: 'file' }) as TreeNode);
}

void test('a checkpoint is due after the interval, after enough bytes, or at once on a new volume', () => {
  const c = clock();
  const s = new CheckpointSchedule(15_000, 1000, c.now);
  assert.equal(s.due(false), false);
  assert.equal(s.due(true), true, 'a new volume does not wait');
  c.advance(14_999);
  assert.equal(s.due(false), false);
  c.advance(1);
  assert.equal(s.due(false), true);
  s.checkpointed();
  assert.equal(s.due(false), false, 'the interval starts again at each checkpoint');
  s.count(999);
  assert.equal(s.due(false), false);
  s.count(1);
  assert.equal(s.due(false), true);
  s.checkpointed();
  assert.equal(s.due(false), false, 'the byte count starts again at each checkpoint');
});

void test('the lock is due for a refresh only after its interval, counted from the last refresh', () => {
  const c = clock();
  const s = new CheckpointSchedule(15_000, 1000, c.now);
  c.advance(LOCK_REFRESH_MS);
  assert.equal(s.lockDue(), false);
  c.advance(1);
  assert.equal(s.lockDue(), true);
  s.lockRefreshed();
  assert.equal(s.lockDue(), false);
  s.checkpointed(); // a checkpoint is no refresh
  c.advance(LOCK_REFRESH_MS + 1);
  assert.equal(s.lockDue(), true);
});

void test('open directories with more than INLINE_NODES entries go to partial tree blobs', async () => {
  const saved: number[] = [];
  const frames: Frame[] = [
    { name: null, node: null, nodes: nodes(INLINE_NODES) },
    { name: Buffer.from('big'), node: nodes(1)[0], nodes: nodes(INLINE_NODES + 1), last: Buffer.from('zz') },
    { name: Buffer.from([0xff, 0x00]), node: nodes(1)[0], nodes: [] },
  ];
  const cp = await checkpointFrames(frames, (n) => {
    saved.push(n.length);
    return Promise.resolve(`tree-of-${n.length}`);
  });
  assert.deepEqual(saved, [INLINE_NODES + 1]);
  assert.equal(cp[0].name, null);
  assert.equal(cp[0].nodes.length, INLINE_NODES);
  assert.equal(cp[0].nodesTree, undefined);
  assert.equal(cp[1].name, Buffer.from('big').toString('hex'));
  assert.deepEqual(cp[1].nodes, []);
  assert.equal(cp[1].nodesTree, `tree-of-${INLINE_NODES + 1}`);
  assert.equal(cp[1].last, Buffer.from('zz').toString('hex'));
  assert.equal(cp[2].name, 'ff00', 'raw names survive as hex');
  assert.equal(cp[2].last, undefined);
});

/** A checkpointer over stand-ins that log what it does, in order. */
function checkpointer(opts: { seq: number; onCheckpoint?: boolean }) {
  const c = clock();
  const log: string[] = [];
  const cps: Checkpoint[] = [];
  const writer = {
    volumeChanged: false,
    packsWritten: 3,
    writeIndex: () => void log.push('index'),
  };
  const deps = {
    schedule: new CheckpointSchedule(15_000, 100, c.now),
    lock: {
      refresh: () => Promise.resolve(void log.push('refresh')),
      throwIfLost: () => undefined,
      repin: () => Promise.resolve(void log.push('repin')),
    },
    writer,
    trees: { frames: [{ name: null, node: null, nodes: nodes(2) }], save: () => Promise.resolve('t') },
    used: { resolve: () => void log.push('resolve') },
    drives: [{ id: 'd1', path: '/d1', packs: [] }],
    tally: newTally(null),
    backup: { backupId: 'b', startedAt: 'then', sources: ['/src'] },
    packsBefore: 2,
    seq: opts.seq,
    onCheckpoint: opts.onCheckpoint === false ? undefined : (cp: Checkpoint) => void cps.push(cp),
  } as unknown as CheckpointerDeps;
  return { cp: new Checkpointer(deps), c, log, cps, writer, deps };
}

void test('checkpoints count on from the resumed seq, each after the index that makes its packs durable', async () => {
  const { cp, log, cps, writer, deps } = checkpointer({ seq: 7 });
  await cp.maybe();
  assert.equal(cps.length, 0, 'nothing is due yet');
  cp.count(100);
  await cp.maybe(() => ({ name: '61', offset: 100, content: ['x'], mtimeNs: '1', size: 200 }));
  assert.deepEqual(log, ['index', 'resolve', 'repin']);
  assert.equal(cps.length, 1);
  assert.equal(cps[0].seq, 8);
  assert.equal(cps[0].reason, 'interval');
  assert.equal(cps[0].partial?.offset, 100);
  assert.equal(cps[0].stats.packs, 5, 'packs of this run and the runs before');
  assert.equal(deps.tally.stats.packs, 5);
  await cp.maybe();
  assert.equal(cps.length, 1, 'the byte count started again');
  writer.volumeChanged = true;
  await cp.maybe();
  assert.equal(cps.length, 2);
  assert.equal(cps[1].seq, 9);
  assert.equal(cps[1].reason, 'volume-change');
  assert.equal(writer.volumeChanged, false, 'the volume change is checkpointed once');
  // the callback gets a copy: later changes to the backup's state do not reach it
  deps.tally.errors.push({ path: '/x', message: 'later' });
  assert.equal(cps[1].errors.length, 0);
});

void test('without onCheckpoint nothing is written, but the lock is still refreshed', async () => {
  const { cp, c, log } = checkpointer({ seq: 0, onCheckpoint: false });
  cp.count(1000);
  await cp.maybe();
  assert.deepEqual(log, []);
  c.advance(LOCK_REFRESH_MS + 1);
  await cp.maybe();
  await cp.maybe();
  assert.deepEqual(log, ['refresh']);
});
