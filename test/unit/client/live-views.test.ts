/**
 * liveViews alone: a follower's callbacks become an async iterator that yields every view in
 * order, including those reported before the consumer asks, and ends when the follower settles,
 * also when it fails (the handle's result() says why).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveViews } from '../../../src/client/live-views';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('yields every view in order, then ends with the follower', async () => {
  const seen: number[] = [];
  const follow = async (onView: (v: number) => void) => {
    onView(1);
    onView(2); // both before the consumer's first next()
    await tick();
    onView(3);
    await tick();
  };
  for await (const v of liveViews(follow)) seen.push(v);
  assert.deepEqual(seen, [1, 2, 3]);
});

test('a failing follower ends the iteration after the views it gave', async () => {
  const seen: string[] = [];
  const follow = async (onView: (v: string) => void) => {
    onView('running');
    await tick();
    throw new Error('gone');
  };
  for await (const v of liveViews(follow)) seen.push(v);
  assert.deepEqual(seen, ['running']);
});
