/**
 * A `baton repo backup` resumed onto drive B from a checkpoint on drive A, raced by real processes
 * and real signals: killed (SIGKILL), its provisional refs on A still keep the checkpoint's packs
 * from a prune until they expire; paused (SIGSTOP) past A's stale age, prune on A takes its lock
 * over but keeps those packs, and at SIGCONT the backup either commits or stops with LockLostError
 * and the next attempt commits: never a snapshot naming a missing pack. It ends in `baton repo
 * verify` and a byte-identical `baton repo restore`. Stale age 2 s (BATON_LOCK_STALE_SECONDS).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { listSnapshots } from '../../../src/engine/snapshot';
import { StoppedError } from '../../../src/engine/errors';
import { parseRefs } from '../../../src/engine/validate';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import { Drive } from '../../../src/engine/drive';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';
import { catalog, packFiles, runRepo, sleep, startRepo, until } from '../../helpers/lock-races';

const MiB = 1024 * 1024;
const STALE = 2;

/** A backup of `src` to A stopped at its second checkpoint; the checkpoint goes to `cpFile`. */
async function checkpointOnA(a: Drive, src: string, cpFile: string): Promise<string[]> {
  const stop = new AbortController();
  let cp: Checkpoint | null = null;
  let n = 0;
  const run = backup({
    drive: a,
    sources: src,
    cachePath: null,
    checkpointEvery: { bytes: 1 },
    stopSignal: stop.signal,
    onCheckpoint: (c) => {
      cp = c;
      if (++n === 2) stop.abort();
    },
  });
  await assert.rejects(run, StoppedError);
  writeFileSync(cpFile, JSON.stringify(cp));
  const packs = (cp as Checkpoint | null)?.drives.find((d) => d.id === a.id)?.packs ?? [];
  assert.ok(packs.length >= 2);
  return packs;
}

const provisionalOn = (path: string): string[] =>
  catalog(path, 'refs').filter((n) => parseRefs(readFileSync(join(path, 'refs', n)), n, path).provisional);

function assertKept(path: string, packs: string[], when: string): void {
  const on = new Set(packFiles(path));
  for (const p of packs) assert.ok(on.has(p), `${when}: pack ${p.slice(0, 12)} of the checkpoint is still on A`);
}

void test('a backup resumed on B from a checkpoint on A: killed or paused past the stale age, prune on A keeps the checkpoint packs; the job ends in a snapshot that verifies and restores', async (t) => {
  const tmp = tempDir();
  try {
    const [pa, pb, src, cpFile] = ['a', 'b', 'src', 'cp.json'].map((n) => join(tmp.path, n));
    mkdirSync(src);
    for (let i = 0; i < 5; i++) writeFileSync(join(src, `f${i}`), prng(`races-${i}`, 3 * MiB + i));
    const a = await createDrive(pa, { packSize: MiB });
    await createDrive(pb, { packSize: MiB });
    const aPacks = await checkpointOnA(a, src, cpFile);
    const resumeArgs = ['backup', '--drive', pb, '--no-cache', '--checkpoint-seconds', '1', '--resume', cpFile];
    const slow = [...resumeArgs, '--bandwidth-limit', String(2 * MiB)];

    // 1. killed right after pinning A: its lock goes at once (dead PID), its provisional refs stay
    const killed = startRepo(slow, STALE);
    await until('the resumed backup to pin A', () => provisionalOn(pa).length === 1);
    killed.child.kill('SIGKILL');
    await killed.done;
    const p1 = await runRepo(['prune', '--drive', pa], STALE);
    assert.equal(p1.code, 0, p1.stderr);
    assert.match(p1.stdout, /^0 packs deleted/);
    assertKept(pa, aPacks, 'after the killed backup');
    const killedPin = provisionalOn(pa)[0];

    // 2. paused past A's stale age: prune waits for it, then takes its lock over and keeps the packs
    const paused = startRepo(slow, STALE);
    await until('the second attempt to pin A', () => provisionalOn(pa).length === 2);
    paused.child.kill('SIGSTOP');
    const early = await runRepo(['prune', '--drive', pa], STALE);
    assert.notEqual(early.code, 0);
    assert.match(early.stderr, /drive .*\/a is locked by backup \(shared\) on .* pid \d+ .*prune did not start/);
    await sleep(STALE * 1000 + 1500);
    const p2 = await runRepo(['prune', '--drive', pa], STALE);
    assert.equal(p2.code, 0, p2.stderr);
    assert.deepEqual(catalog(pa, 'locks'), [], "the paused backup's lock on A was taken over");
    assertKept(pa, aPacks, 'after prune took the paused lock');
    paused.child.kill('SIGCONT');
    const r = await paused.done;
    t.diagnostic(r.code === 0 ? 'the paused backup committed at SIGCONT' : 'the paused backup stopped at SIGCONT');
    if (r.code !== 0) {
      assert.match(r.stderr, /the backup lock on drive .*\/a was removed by another process; backup stopped/);
      const again = await runRepo(resumeArgs, STALE);
      assert.equal(again.code, 0, again.stderr);
    }

    // 3. one snapshot on B; A keeps its packs through final refs; the killed attempt's pin expires
    const snaps = await listSnapshots(await Drive.open(pb, { password: PASSWORD }));
    assert.equal(snaps.length, 1);
    assert.ok(catalog(pa, 'refs').includes(snaps[0].id), 'the final refs on A');
    await sleep(Math.max(0, 4 * STALE * 1000 + 500 - (Date.now() - mtimeOf(pa, killedPin))));
    const p3 = await runRepo(['prune', '--drive', pa], STALE);
    assert.equal(p3.code, 0, p3.stderr);
    assert.ok(!catalog(pa, 'refs').includes(killedPin), 'the expired provisional refs file was removed');
    assertKept(pa, aPacks, 'the final refs pin them');
    for (const d of [pa, pb]) {
      const v = await runRepo(['verify', '--drive', d, '--read-data'], STALE);
      assert.equal(v.code, 0, `${d}: ${v.stdout}${v.stderr}`);
      assert.match(v.stdout, /no errors/);
    }
    const out = join(tmp.path, 'out');
    const rs = await runRepo(['restore', '--drive', pb, snaps[0].id, '--target', out], STALE);
    assert.equal(rs.code, 0, rs.stderr);
    assert.deepEqual(compareTrees(src, out), []);
    assert.deepEqual(catalog(pa, 'locks'), [], 'no lock left on A');
    // on B only the killed process's (stale: its PID is gone; the next prune there takes it over)
    const onB = catalog(pb, 'locks').map(
      (n) => (JSON.parse(readFileSync(join(pb, 'locks', n), 'utf8')) as { pid: number }).pid,
    );
    assert.deepEqual(onB, [killed.child.pid], 'no lock of a live process left on B');
  } finally {
    tmp.cleanup();
  }
});

function mtimeOf(drive: string, name: string): number {
  const file = join(drive, 'refs', name);
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}
