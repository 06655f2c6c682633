import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LookAhead } from '../../../src/engine/look-ahead';

type Ev = { name: string; size?: number };
type It = { ev: Ev; readAhead?: number };

/** Events from a list, counting how many were taken from the walk. */
function events(list: Ev[]): { it: AsyncIterator<Ev>; taken: () => number } {
  let i = 0;
  return {
    it: {
      next: () =>
        Promise.resolve(i < list.length ? { done: false, value: list[i++] } : { done: true, value: undefined }),
    },
    taken: () => i,
  };
}

// files (with a size) are read ahead; other events are not
const start = (ev: Ev): It => (ev.size === undefined ? { ev } : { ev, readAhead: ev.size });

void test('the walk runs ahead by at most `files` files being read, and one more file once one is released', async () => {
  const list = Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, size: 1 }));
  const e = events(list);
  const la = new LookAhead(e.it, start, { bytes: 1000, files: 3, events: 100 });
  await la.fill();
  assert.equal(la.length, 3);
  const first = la.shift() as It;
  assert.equal(first.ev.name, 'f0');
  await la.fill();
  assert.equal(e.taken(), 3, 'f0 is still being read: it counts until released');
  la.release(first);
  la.release(first); // releasing twice frees nothing more
  await la.fill();
  assert.equal(e.taken(), 4);
  assert.equal(la.length, 3);
});

void test('the window closes on bytes read ahead, and events that read nothing count only as events', async () => {
  const e = events([
    { name: 'dir' },
    { name: 'big', size: 60 },
    { name: 'link' },
    { name: 'next', size: 60 },
    { name: 'after', size: 1 },
  ]);
  const la = new LookAhead(e.it, start, { bytes: 100, files: 10, events: 100 });
  await la.fill();
  // 120 bytes ahead after 'next': the window is full, 'after' waits
  assert.deepEqual(
    [la.shift(), la.shift(), la.shift()].map((i) => i?.ev.name),
    ['dir', 'big', 'link'],
  );
  assert.equal(e.taken(), 4);
  const e2 = events(Array.from({ length: 10 }, (_, i) => ({ name: `d${i}` })));
  const la2 = new LookAhead(e2.it, start, { bytes: 100, files: 10, events: 4 });
  await la2.fill();
  assert.equal(e2.taken(), 4, 'at most `events` events wait');
});

void test('a long walk comes out in walk order, the window full throughout, as the taken part is cut off', async () => {
  const list = Array.from({ length: 5000 }, (_, i) => ({ name: `e${i}` }));
  const e = events(list);
  const la = new LookAhead(e.it, start, { bytes: 100, files: 10, events: 100 });
  const out: string[] = [];
  for (let step = 0; out.length < list.length; step++) {
    await la.fill();
    assert.equal(la.length, Math.min(100, list.length - out.length), `window at step ${step}`);
    // take one to seven at a time, so the cut-off happens at every position
    for (let k = 0; k < (step % 7) + 1 && la.length > 0; k++) out.push((la.shift() as It).ev.name);
  }
  assert.deepEqual(
    out,
    list.map((l) => l.name),
  );
  assert.equal(la.shift(), undefined);
});

void test('the end of the walk is noted once and the queue then drains', async () => {
  const e = events([{ name: 'a' }, { name: 'b', size: 0 }]);
  const la = new LookAhead(e.it, start);
  await la.fill();
  assert.equal(la.done, true);
  assert.equal(la.shift()?.ev.name, 'a');
  assert.equal(la.shift()?.ev.name, 'b');
  assert.equal(la.shift(), undefined);
  await la.fill();
  assert.equal(la.length, 0);
});

void test('events already listed are taken without a promise; the walk is awaited only when none is', async () => {
  // the first three are listed; the rest come only through next()
  const listed: Ev[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
  const later: Ev[] = [{ name: 'd' }];
  let nexts = 0;
  const source = {
    takeNow: (): Ev | undefined => listed.shift(),
    next: (): Promise<IteratorResult<Ev>> => {
      nexts++;
      const ev = later.shift();
      return Promise.resolve(ev ? { done: false, value: ev } : { done: true, value: undefined });
    },
  };
  const la = new LookAhead(source, start, { bytes: 100, files: 10, events: 3 });
  assert.equal(la.fill(), undefined, 'the window filled from listed events: nothing to wait for');
  assert.deepEqual(
    [la.shift(), la.shift(), la.shift()].map((i) => i?.ev.name),
    ['a', 'b', 'c'],
  );
  assert.equal(nexts, 0);
  const waiting = la.fill();
  assert.ok(waiting instanceof Promise, 'none listed: it waits for the walk');
  await waiting;
  assert.deepEqual([la.shift()?.ev.name], ['d']);
  assert.equal(la.done, true);
  assert.equal(nexts, 2);
});
