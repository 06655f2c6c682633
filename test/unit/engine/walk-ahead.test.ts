import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { backup } from '../../../src/engine/archiver';
import { listSnapshots } from '../../../src/engine/snapshot';
import { FOLLOWING_EVENTS, WalkAhead } from '../../../src/engine/walk-ahead';
import { walkListing } from '../../../src/engine/walker';
import type { WalkEvent } from '../../../src/engine/walker';
import { rootListing } from '../../../src/engine/source-listing';
import { EngineError } from '../../../src/engine/errors';
import { buildAwkwardTree, createDrive } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { restore } from '../../../src/engine/restorer';
import { tempDir } from '../../helpers/temp';

/** An event as comparable text: its kind and path ('leave' has none). */
const said = (ev: WalkEvent): string => (ev.t === 'leave' ? 'leave' : `${ev.t} ${ev.path.toString()}`);

async function all(events: AsyncIterable<WalkEvent>): Promise<string[]> {
  const out: string[] = [];
  for await (const ev of events) out.push(said(ev));
  return out;
}

/** Three directories of five files, one nested. */
function tree(root: string): void {
  for (const d of ['a', 'b', 'b/inner', 'c']) {
    mkdirSync(`${root}/${d}`, { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(`${root}/${d}/f${i}`, `${d} ${i}`);
  }
}

void test('a walk ahead gives the events of the walk, in order, however few it may hold', async () => {
  const tmp = tempDir();
  try {
    tree(`${tmp.path}/src`);
    const root = await rootListing([`${tmp.path}/src`]);
    const expected = await all(walkListing(root.entries, 0, null));
    assert.ok(expected.length > 20);
    for (const limit of [1, 3, 1000]) {
      const ahead = WalkAhead.start([`${tmp.path}/src`], [], limit);
      await ahead.ready();
      assert.deepEqual(await all(ahead.events(new Set())), expected, `limit ${limit}`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('once the backup takes its events the walk stays only a little ahead', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src/many`, { recursive: true });
    for (let i = 0; i < 2000; i++) writeFileSync(`${tmp.path}/src/many/f${i}`, '');
    const ahead = WalkAhead.start([`${tmp.path}/src`], [], 100_000);
    await ahead.ready();
    const events = ahead.events(new Set());
    assert.equal((await events.next()).done, false);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(ahead.waiting <= FOLLOWING_EVENTS, `${ahead.waiting} events wait`);
    let n = 1;
    while (!(await events.next()).done) n++;
    assert.equal(n, 2002); // enter many, its 2000 files, leave
  } finally {
    tmp.cleanup();
  }
});

void test('paths excluded after the walk listed them are dropped, a directory with all under it', async () => {
  const tmp = tempDir();
  try {
    tree(`${tmp.path}/src`);
    const ahead = WalkAhead.start([`${tmp.path}/src`]);
    await ahead.ready();
    await new Promise((r) => setTimeout(r, 200)); // the walk has listed everything by now
    const late = new Set([`${tmp.path}/src/b`, `${tmp.path}/src/c/f2`].map((p) => Buffer.from(p).toString('latin1')));
    const got = await all(ahead.events(late));
    assert.ok(got.includes(`file ${tmp.path}/src/a/f0`));
    assert.ok(got.includes(`file ${tmp.path}/src/c/f1`));
    assert.equal(got.filter((e) => e.includes('/src/b')).length, 0, got.join('\n'));
    assert.ok(!got.includes(`file ${tmp.path}/src/c/f2`));
    // enters and leaves still pair up: the root's entries and a, c
    assert.equal(got.filter((e) => e.startsWith('enter')).length, got.filter((e) => e === 'leave').length);
  } finally {
    tmp.cleanup();
  }
});

void test('a drive named when the walk starts is never entered', async () => {
  const tmp = tempDir();
  try {
    tree(`${tmp.path}/src`);
    const ahead = WalkAhead.start([`${tmp.path}/src`], [`${tmp.path}/src/a`]);
    await ahead.ready();
    const got = await all(ahead.events(new Set()));
    assert.equal(got.filter((e) => e.includes('/src/a')).length, 0, got.join('\n'));
    assert.ok(got.includes(`file ${tmp.path}/src/c/f4`));
  } finally {
    tmp.cleanup();
  }
});

void test('a missing source is refused as the backup refuses it; a stopped walk ends its events', async () => {
  const tmp = tempDir();
  try {
    const missing = WalkAhead.start([`${tmp.path}/nothing-here`]);
    await assert.rejects(missing.ready(), (err: unknown) => err instanceof EngineError && err.code === 'BAD_SOURCE');
    assert.throws(() => WalkAhead.start([]), /no source path given/);

    tree(`${tmp.path}/src`);
    const stopped = WalkAhead.start([`${tmp.path}/src`], [], 2);
    await stopped.ready();
    const events = stopped.events(new Set());
    assert.equal((await events.next()).done, false);
    stopped.stop();
    const rest = [];
    for await (const ev of events) rest.push(ev);
    assert.ok(rest.length <= 3, `at most what waited when it stopped (${rest.length})`);
  } finally {
    tmp.cleanup();
  }
});

void test('a backup taking a walk ahead stores what it would have stored, and not its file cache inside a source', async () => {
  const tmp = tempDir();
  try {
    buildAwkwardTree(`${tmp.path}/src`);
    const drive = await createDrive(`${tmp.path}/drive`);
    const plain = await backup({ drive, sources: `${tmp.path}/src`, cachePath: null });
    // the file cache lives inside the source: known only once the backup opened the drive
    const cachePath = `${tmp.path}/src/cache-inside`;
    const ahead = WalkAhead.start([`${tmp.path}/src`], [], 4);
    const first = await backup({ drive, sources: `${tmp.path}/src`, cachePath, walkAhead: ahead });
    const second = await backup({
      drive,
      sources: `${tmp.path}/src`,
      cachePath,
      walkAhead: WalkAhead.start([`${tmp.path}/src`], [], 4),
    });
    assert.equal(second.stats.cachedFiles, second.stats.files, 'the re-run took every file from the cache');
    const trees = new Map((await listSnapshots(drive)).map((s) => [s.id, s.snapshot.tree]));
    assert.equal(trees.get(first.snapshotId), trees.get(plain.snapshotId));
    assert.equal(trees.get(second.snapshotId), trees.get(plain.snapshotId), 'the cache file was not stored');
    await restore({ drive, snapshotId: second.snapshotId, target: `${tmp.path}/out` });
    // compareTrees names paths in hex
    const cacheName = Buffer.from('cache-inside').toString('hex');
    assert.deepEqual(compareTrees(`${tmp.path}/src`, `${tmp.path}/out`), [`missing /${cacheName}`]);

    const other = WalkAhead.start([`${tmp.path}/src/hard`]);
    await assert.rejects(
      backup({ drive, sources: `${tmp.path}/src`, walkAhead: other, cachePath: null }),
      /walk ahead lists other sources/,
    );
  } finally {
    tmp.cleanup();
  }
});
