import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRestart, type RestartInput } from '../../../src/workflows/restart-policy';

const now = Date.parse('2026-11-27T12:00:00.000Z');
const checkpoint = { at: '2026-11-27T11:59:00.000Z', epoch: 1, node: 'n1', files: 40, bytes: 4000, seq: 3 };
const base: RestartInput = {
  policy: 'auto',
  maxCheckpointAgeSeconds: 3600,
  checkpoint,
  nowMs: now,
  cause: 'app moved from n1 to n2',
  readable: true,
  nextNode: 'n2',
};

const cases: { name: string; change: Partial<RestartInput>; kind: 'checkpoint' | 'fresh'; reason: RegExp }[] = [
  {
    name: 'auto with a fresh, readable checkpoint resumes',
    change: {},
    kind: 'checkpoint',
    reason:
      /^app moved from n1 to n2; resuming after 40 files \(4000 bytes\) from the checkpoint taken 60 s earlier on n1$/,
  },
  { name: 'fresh policy', change: { policy: 'fresh' }, kind: 'fresh', reason: /the app's restart policy is fresh$/ },
  { name: 'no checkpoint yet', change: { checkpoint: null }, kind: 'fresh', reason: /no checkpoint was taken yet$/ },
  {
    name: 'auto with a checkpoint older than the limit',
    change: { maxCheckpointAgeSeconds: 30 },
    kind: 'fresh',
    reason: /the last checkpoint is 60 s old, older than the policy's 30 s$/,
  },
  {
    name: 'checkpoint policy ignores the age limit',
    change: { policy: 'checkpoint', maxCheckpointAgeSeconds: 30 },
    kind: 'checkpoint',
    reason: /resuming after 40 files/,
  },
  {
    name: 'the new node cannot read the checkpoint',
    change: { readable: false },
    kind: 'fresh',
    reason: /node n2 cannot read the checkpoint's data written on n1$/,
  },
  {
    name: 'checkpoint policy still restarts fresh when the data is unreadable',
    change: { policy: 'checkpoint', readable: false },
    kind: 'fresh',
    reason: /cannot read/,
  },
];

for (const c of cases) {
  test(`restart decision: ${c.name}`, () => {
    const d = decideRestart({ ...base, ...c.change });
    assert.equal(d.kind, c.kind);
    assert.match(d.reason, c.reason);
    assert.ok(d.reason.startsWith(base.cause), 'every reason starts with what ended the attempt');
  });
}
