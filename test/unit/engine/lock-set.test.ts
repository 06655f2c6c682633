/**
 * A backup resumed on drive B from a checkpoint that used drive A holds A too: a shared lock there
 * (prune on A is refused, naming it) and a provisional refs file pinning the checkpoint's packs on
 * A (a prune that took the lock for stale keeps them, until the file expires), replaced by the
 * final refs at the commit; no lock is left on either drive however the backup ends. Real temp
 * drives, the backup in this process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backup, resume } from '../../../src/engine/archiver';
import { verify } from '../../../src/engine/checker';
import { restore } from '../../../src/engine/restorer';
import { prune } from '../../../src/engine/pruner';
import { readSnapshot } from '../../../src/engine/snapshot';
import { AbortedError, LockLostError, LockedError, StoppedError } from '../../../src/engine/errors';
import { parseRefs } from '../../../src/engine/validate';
import type { Refs } from '../../../src/engine/validate';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import type { Drive } from '../../../src/engine/drive';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

const MiB = 1024 * 1024;

interface Setup {
  dir: string;
  src: string;
  a: Drive;
  b: Drive;
  /** the checkpoint of a backup to A stopped after two files */
  cp: Checkpoint;
  /** the packs on A that checkpoint uses */
  aPacks: string[];
}

async function setup(dir: string, shared?: Buffer): Promise<Setup> {
  const src = join(dir, 'src');
  mkdirSync(src);
  for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}`), prng(`lock-set-${i}`, MiB + 1000 * i));
  const a = await createDrive(join(dir, 'a'), { packSize: MiB });
  const b = await createDrive(join(dir, 'b'), { packSize: MiB });
  if (shared) {
    // an older snapshot on A holds this content, which the source's last file repeats
    mkdirSync(join(dir, 'older'));
    writeFileSync(join(dir, 'older', 'x'), shared);
    writeFileSync(join(src, 'f9'), shared);
    await backup({ drive: a, sources: join(dir, 'older'), cachePath: null });
  }
  const stop = new AbortController();
  const cps: Checkpoint[] = [];
  const stopped = backup({
    drive: a,
    sources: src,
    cachePath: null,
    checkpointEvery: { bytes: 1 },
    stopSignal: stop.signal,
    onCheckpoint: (c) => {
      cps.push(c);
      if (cps.length === 2) stop.abort();
    },
  });
  await assert.rejects(stopped, StoppedError);
  const cp = cps.at(-1) as Checkpoint;
  const aPacks = cp.drives.find((d) => d.id === a.id)?.packs ?? [];
  assert.ok(aPacks.length >= 2, `the checkpoint uses packs on A: ${aPacks.length}`);
  return { dir, src, a, b, cp, aPacks };
}

const names = (d: Drive, sub: string): string[] =>
  existsSync(join(d.path, sub)) ? readdirSync(join(d.path, sub)).filter((n) => !n.includes('.tmp-')) : [];

function refsOn(d: Drive): { name: string; refs: Refs }[] {
  return names(d, 'refs').map((name) => ({
    name,
    refs: parseRefs(readFileSync(join(d.path, 'refs', name)), name, d.path),
  }));
}

function packsOn(d: Drive): Set<string> {
  return new Set(names(d, 'data').flatMap((sub) => readdirSync(join(d.path, 'data', sub))));
}

/** Resumes `cp` on B from the password (A opened by its path), with `during` run at its first checkpoint. */
function resumeOnB(
  s: Setup,
  during: (cp: Checkpoint) => Promise<void>,
  extra: { signal?: AbortSignal; every?: boolean } = {},
) {
  let first = true;
  return resume(s.cp, {
    drive: s.b,
    cachePath: null,
    password: PASSWORD,
    checkpointEvery: { bytes: 1 },
    signal: extra.signal,
    onCheckpoint: async (cp) => {
      if (!first && !extra.every) return;
      first = false;
      await during(cp);
    },
  });
}

async function assertRestores(s: Setup, snapshotId: string): Promise<void> {
  for (const d of [s.a, s.b]) {
    const v = await verify({ drive: d, password: PASSWORD, readData: true });
    assert.equal(v.ok, true, `${d.path}: ${JSON.stringify(v.errors)}`);
  }
  const out = join(s.dir, `out-${snapshotId.slice(0, 8)}`);
  await restore({ drive: s.b, snapshotId, target: out, password: PASSWORD });
  assert.deepEqual(compareTrees(s.src, out), []);
}

void test('resumed on B: A holds a shared lock and provisional refs during the backup (prune on A refused), final refs after', async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path);
    const r = await resumeOnB(s, async () => {
      const locks = names(s.a, 'locks');
      assert.equal(locks.length, 1, 'one lock on A');
      const lock = JSON.parse(readFileSync(join(s.a.path, 'locks', locks[0]), 'utf8')) as Record<string, unknown>;
      assert.equal(lock.exclusive, false);
      assert.equal(lock.purpose, 'backup');
      const refs = refsOn(s.a);
      assert.equal(refs.length, 1, 'one provisional refs file on A');
      assert.equal(refs[0].refs.provisional?.backup, s.cp.backupId);
      assert.equal(refs[0].refs.provisional?.lock, locks[0]);
      assert.equal(refs[0].refs.drive, s.b.id);
      assert.deepEqual(refs[0].refs.packs, [...s.aPacks].sort());
      await assert.rejects(prune({ drive: s.a }), (err: unknown) => {
        assert.ok(err instanceof LockedError);
        assert.match(err.message, /is locked by backup \(shared\) on .* pid \d+ .*prune did not start/);
        return true;
      });
    });
    assert.deepEqual(names(s.a, 'locks'), [], 'no lock left on A');
    assert.deepEqual(names(s.b, 'locks'), [], 'no lock left on B');
    const refs = refsOn(s.a);
    assert.deepEqual(
      refs.map((x) => x.name),
      [r.snapshotId],
      'the final refs replaced the provisional ones',
    );
    assert.equal(refs[0].refs.provisional, undefined);
    for (const p of s.aPacks) assert.ok(refs[0].refs.packs.includes(p));
    const snap = await readSnapshot(s.b, r.snapshotId);
    assert.deepEqual(snap.drives.map((d) => d.id).sort(), [s.a.id, s.b.id].sort());
    await assertRestores(s, r.snapshotId);
  } finally {
    tmp.cleanup();
  }
});

void test("a prune on A that took the backup's lock for stale keeps the provisionally pinned packs; the backup stops, the next attempt commits", async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path);
    let deleted = -1;
    const first = resumeOnB(s, async () => {
      // what prune does to a lock it takes for stale (the paused holder is simulated by the hook)
      for (const l of names(s.a, 'locks')) rmSync(join(s.a.path, 'locks', l));
      deleted = (await prune({ drive: s.a })).packsDeleted;
    });
    await assert.rejects(first, (err: unknown) => {
      assert.ok(err instanceof LockLostError, String(err));
      assert.match(err.message, /the backup lock on drive .*\/a was removed by another process/);
      return true;
    });
    assert.equal(deleted, 0, 'prune deleted none of the checkpoint packs');
    const onA = packsOn(s.a);
    for (const p of s.aPacks) assert.ok(onA.has(p), `pack ${p} kept`);
    assert.deepEqual([...names(s.a, 'locks'), ...names(s.b, 'locks')], [], 'no lock left');
    assert.equal(refsOn(s.a).filter((x) => x.refs.provisional).length, 1, 'the stopped attempt leaves its pin');

    const again = await resume(s.cp, { drive: s.b, cachePath: null, password: PASSWORD });
    const refs = refsOn(s.a);
    assert.ok(refs.some((x) => x.name === again.snapshotId && !x.refs.provisional));
    await assertRestores(s, again.snapshotId);
  } finally {
    tmp.cleanup();
  }
});

void test('an expired provisional refs file no longer pins: prune deletes its packs and the file', async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path);
    const write = (name: string, ageMs: number): void => {
      const at = new Date(Date.now() - ageMs);
      const provisional = { backup: s.cp.backupId, lock: 'ab'.repeat(16), refreshed: at.toISOString(), staleAfter: 1 };
      const file = join(s.a.path, 'refs', name);
      const refs = { version: 1, snapshot: name, drive: s.b.id, packs: s.aPacks, provisional };
      writeFileSync(file, JSON.stringify(refs));
      utimesSync(file, at, at);
    };
    // stale age 1 s: the file lives 4 s after its last refresh
    write('1'.repeat(64), 2000);
    const kept = await prune({ drive: s.a });
    assert.equal(kept.packsDeleted, 0, 'a provisional refs file within its life pins its packs');
    assert.deepEqual(names(s.a, 'refs'), ['1'.repeat(64)]);

    rmSync(join(s.a.path, 'refs', '1'.repeat(64)));
    write('2'.repeat(64), 5000);
    const gone = await prune({ drive: s.a });
    assert.ok(gone.packsDeleted >= s.aPacks.length, `expired: its packs go (${gone.packsDeleted} deleted)`);
    assert.deepEqual(names(s.a, 'refs'), [], 'and so does the file');
    const onA = packsOn(s.a);
    for (const p of s.aPacks) assert.ok(!onA.has(p));
    const v = await verify({ drive: s.a, password: PASSWORD });
    assert.equal(v.ok, true, JSON.stringify(v.errors));
  } finally {
    tmp.cleanup();
  }
});

void test('a resumed backup that fails or is aborted leaves no lock on either drive', async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path);
    const abort = new AbortController();
    await assert.rejects(
      resumeOnB(
        s,
        () => {
          assert.equal(names(s.a, 'locks').length, 1);
          abort.abort();
          return Promise.resolve();
        },
        { signal: abort.signal },
      ),
      AbortedError,
    );
    assert.deepEqual([...names(s.a, 'locks'), ...names(s.b, 'locks')], [], 'aborted: no lock left');

    await assert.rejects(
      resumeOnB(s, () => Promise.reject(new Error('the caller failed'))),
      /the caller failed/,
    );
    assert.deepEqual([...names(s.a, 'locks'), ...names(s.b, 'locks')], [], 'failed: no lock left');
    // each attempt left its pin, to keep the packs for the next one until it expires
    assert.equal(refsOn(s.a).length, 2);
  } finally {
    tmp.cleanup();
  }
});

void test('a refs file with a malformed provisional mark is refused', () => {
  const name = '3'.repeat(64);
  const base = { version: 1, snapshot: name, drive: 'c'.repeat(32), packs: ['d'.repeat(64)] };
  const good = { backup: 'e'.repeat(24), lock: 'f'.repeat(32), refreshed: new Date().toISOString(), staleAfter: 2 };
  assert.equal(
    parseRefs(Buffer.from(JSON.stringify({ ...base, provisional: good })), name, '/d').provisional?.lock,
    good.lock,
  );
  for (const bad of [
    { ...good, lock: '../x' },
    { ...good, backup: 7 },
    { ...good, refreshed: 'yesterday' },
    { ...good, staleAfter: 0 },
    'yes',
  ]) {
    assert.throws(
      () => parseRefs(Buffer.from(JSON.stringify({ ...base, provisional: bad })), name, '/d'),
      /refs\/3{64} on drive \/d .*; refused/,
    );
  }
});

void test('the provisional refs are rewritten with each refresh of the lock on A, listing the packs there the backup came to use since', async () => {
  const tmp = tempDir();
  const before = process.env.BATON_LOCK_STALE_SECONDS;
  try {
    const s = await setup(tmp.path, prng('lock-set-shared', MiB));
    process.env.BATON_LOCK_STALE_SECONDS = '1'; // the resumed backup refreshes every 166 ms
    const seen: { packs: string[]; refreshed: string }[] = [];
    await resumeOnB(
      s,
      async (cp) => {
        const onA = cp.drives.find((d) => d.id === s.a.id)?.packs ?? [];
        await new Promise((r) => setTimeout(r, 400));
        const p = refsOn(s.a).find((x) => x.refs.provisional);
        assert.ok(p?.refs.provisional);
        assert.deepEqual(p.refs.packs, [...onA].sort(), 'the pin lists the packs of the last checkpoint');
        seen.push({ packs: p.refs.packs, refreshed: p.refs.provisional.refreshed });
      },
      { every: true },
    );
    assert.ok(seen.length >= 2);
    assert.ok(
      seen.at(-1)!.packs.length > s.aPacks.length,
      'the older snapshot pack the backup deduplicated against is pinned',
    );
    assert.ok(seen.at(-1)!.refreshed > seen[0].refreshed, 'refreshed with the lock');
  } finally {
    if (before === undefined) delete process.env.BATON_LOCK_STALE_SECONDS;
    else process.env.BATON_LOCK_STALE_SECONDS = before;
    tmp.cleanup();
  }
});

void test('the provisional refs on A are rewritten at each checkpoint, before it is handed on, not only at lock refreshes', async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path, prng('lock-set-shared', MiB));
    // the default stale age (30 min): no lock refresh during this backup, only checkpoints
    const seen: string[][] = [];
    await resumeOnB(
      s,
      // eslint-disable-next-line @typescript-eslint/require-await
      async (cp) => {
        const onA = cp.drives.find((d) => d.id === s.a.id)?.packs ?? [];
        const p = refsOn(s.a).find((x) => x.refs.provisional);
        assert.ok(p?.refs.provisional, 'a provisional refs file on A');
        assert.deepEqual(p.refs.packs, [...onA].sort(), `checkpoint ${cp.seq}: the pin lists its packs on A`);
        seen.push(p.refs.packs);
      },
      { every: true },
    );
    assert.ok(
      seen.some((packs) => packs.length > s.aPacks.length),
      'a checkpoint listed the older snapshot pack the backup deduplicated against',
    );
  } finally {
    tmp.cleanup();
  }
});

void test("a resumed backup shares A with a tape appender's exclusive backup lock, not with a prune's", async () => {
  const tmp = tempDir();
  try {
    const s = await setup(tmp.path);
    const plant = (purpose: string): string => {
      const now = new Date().toISOString();
      const l = {
        version: 2,
        exclusive: true,
        hostname: hostname(),
        pid: process.pid,
        time: now,
        refreshed: now,
        purpose,
        staleAfter: 1800,
      };
      writeFileSync(join(s.a.path, 'locks', `${purpose === 'prune' ? 'a' : 'b'}`.repeat(32)), JSON.stringify(l));
      return `${purpose === 'prune' ? 'a' : 'b'}`.repeat(32);
    };
    const prunes = plant('prune');
    await assert.rejects(
      resumeOnB(s, () => Promise.resolve()),
      (err: unknown) => {
        assert.ok(err instanceof LockedError);
        assert.match(err.message, /drive .*\/a is locked by prune \(exclusive\) on .* pid \d+ .*backup did not start/);
        return true;
      },
    );
    assert.deepEqual(names(s.a, 'locks'), [prunes], 'the refused backup left no lock of its own');
    rmSync(join(s.a.path, 'locks', prunes));
    const appender = plant('backup');
    const r = await resumeOnB(s, () => Promise.resolve());
    assert.deepEqual(names(s.a, 'locks'), [appender]);
    rmSync(join(s.a.path, 'locks', appender)); // verify's shared lock would wait for the appender
    await assertRestores(s, r.snapshotId);
  } finally {
    tmp.cleanup();
  }
});
