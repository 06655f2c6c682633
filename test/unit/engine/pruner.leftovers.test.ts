/**
 * What crashes leave on a drive and prune removes: temp files of writers killed between write and
 * rename (stale-temps.ts), and final refs whose backup never wrote its snapshot (orphan-refs.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { verify } from '../../../src/engine/checker';
import { prune } from '../../../src/engine/pruner';
import { listSnapshots } from '../../../src/engine/snapshot';
import { Lock } from '../../../src/engine/lock';
import type { Checkpoint } from '../../../src/engine/checkpoint';
import type { Drive } from '../../../src/engine/drive';
import { parseRefs } from '../../../src/engine/validate';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/** Older than the default lock stale age (30 min). */
const old = (path: string): void => {
  const past = new Date(Date.now() - 31 * 60 * 1000);
  utimesSync(path, past, past);
};

void test('prune removes temp files older than the stale age, keeps a fresh one, and never follows a link out of the drive', async () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), prng('f', 300_000));
    const drive = await createDrive(join(tmp.path, 'd'));
    await backup({ drive, sources: src, cachePath: null });
    const d = drive.path;
    const hex = (c: string) => c.repeat(12);
    // left by writers killed between write and rename, each where that writer writes
    const stale = [
      [join(d, `config.tmp-${hex('a')}`), 10],
      [join(d, 'index', `${hex('ab')}.tmp-${hex('b')}`), 20],
      [join(d, 'locks', `${hex('cd')}.tmp-stale-${hex('c')}`), 30],
      [join(d, 'data', 'ef', `ef${hex('0')}.tmp-${hex('d')}`), 4000],
    ] as const;
    mkdirSync(join(d, 'data', 'ef'), { recursive: true });
    for (const [path, size] of stale) {
      writeFileSync(path, Buffer.alloc(size, 1));
      old(path);
    }
    // being written right now (a backup on another drive writing its refs here)
    const fresh = join(d, 'refs', `${hex('12')}.tmp-${hex('e')}`);
    writeFileSync(fresh, 'fresh');
    // outside the drive, reached only through links: never touched
    const outside = join(tmp.path, 'outside');
    mkdirSync(outside);
    const outsideFile = join(outside, `x.tmp-${hex('f')}`);
    writeFileSync(outsideFile, 'outside');
    old(outsideFile);
    symlinkSync(outside, join(d, 'data', 'zz'));
    symlinkSync(outsideFile, join(d, 'snapshots', `link.tmp-${hex('9')}`));

    const dry = await prune({ drive, dryRun: true });
    assert.deepEqual([dry.tempFilesRemoved, dry.tempBytesRemoved], [4, 4060]);
    assert.ok(
      stale.every(([p]) => existsSync(p)),
      'a dry run removes nothing',
    );

    const r = await prune({ drive });
    assert.deepEqual([r.tempFilesRemoved, r.tempBytesRemoved], [4, 4060]);
    assert.deepEqual(
      stale.filter(([p]) => existsSync(p)),
      [],
    );
    assert.ok(existsSync(fresh), 'a fresh temp file stays');
    assert.deepEqual(readdirSync(outside), [`x.tmp-${hex('f')}`], 'nothing outside the drive is touched');
    assert.ok(existsSync(join(d, 'data', 'zz')) && existsSync(join(d, 'snapshots', `link.tmp-${hex('9')}`)));
    assert.equal((await verify({ drive, readData: true })).ok, true);
  } finally {
    tmp.cleanup();
  }
});

/** The final (not provisional) refs files on `drive`. */
async function finalRefs(drive: Drive): Promise<string[]> {
  const out: string[] = [];
  for (const name of await drive.list('refs')) {
    if (!parseRefs(await drive.readFile('refs', name), name, drive.path).provisional) out.push(name);
  }
  return out;
}

void test('prune removes final refs a fenced backup left without a snapshot; refs with a snapshot, a live backup or a fresh file behind them stay', async () => {
  const tmp = tempDir();
  try {
    // two backups on drive a, each checkpointing: c resumes the first's, b the second's
    const a = await createDrive(join(tmp.path, 'a'), { packSize: 512 * 1024 });
    const sources = ['one', 'two'].map((name) => {
      const dir = join(tmp.path, name);
      mkdirSync(dir);
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, `f${i}`), prng(`${name}${i}`, 1024 * 1024));
      return dir;
    });
    const last: Checkpoint[] = [];
    for (const dir of sources) {
      const cps: Checkpoint[] = [];
      await backup({
        drive: a,
        sources: dir,
        cachePath: null,
        checkpointEvery: { bytes: 1 },
        onCheckpoint: (cp) => void cps.push(cp),
      });
      last.push(cps[cps.length - 1]);
    }
    const [src, src2] = sources;
    const [first, second] = last;

    // drive c: a backup resumed from the first backup's checkpoint commits (refs on a, snapshot on c)
    const c = await createDrive(join(tmp.path, 'c'));
    const rc = await backup({ drive: c, resumeFrom: first, sources: src, cachePath: null, otherDrives: [a] });
    // drive b: one resumed from the second's is fenced off after its refs on a, before its snapshot
    const b = await createDrive(join(tmp.path, 'b'));
    const fencedAtSnapshot = async () => {
      if ((await finalRefs(a)).length > 1) throw new Error('epoch 1 is fenced off (simulated)');
    };
    await assert.rejects(
      backup({
        drive: b,
        resumeFrom: second,
        sources: src2,
        cachePath: null,
        otherDrives: [a],
        beforeWrite: fencedAtSnapshot,
      }),
      /fenced off/,
    );
    assert.deepEqual(await listSnapshots(b), [], 'the fenced backup wrote no snapshot');
    const refs = await finalRefs(a);
    assert.equal(refs.length, 2);
    const orphan = refs.find((n) => n !== rc.snapshotId) as string;
    // a's own snapshot forgotten: the packs are held by refs alone
    for (const s of await listSnapshots(a)) await a.remove('snapshots', s.id);

    // kept: its snapshot's drive not given (nothing can be said), a fresh file, a live backup on b
    assert.equal((await prune({ drive: a })).refsRemoved, 0);
    assert.equal((await prune({ drive: a, otherDrives: [b, c] })).refsRemoved, 0);
    for (const n of refs) old(join(a.path, 'refs', n));
    const live = await Lock.acquire(b, false, 'backup');
    const held = await prune({ drive: a, otherDrives: [b, c] });
    await live.release();
    assert.deepEqual([held.refsRemoved, held.packsDeleted], [0, 0]);

    const dry = await prune({ drive: a, otherDrives: [b, c], dryRun: true });
    assert.equal(dry.refsRemoved, 1);
    assert.deepEqual((await finalRefs(a)).sort(), [...refs].sort(), 'a dry run removes nothing');
    const r = await prune({ drive: a, otherDrives: [b, c] });
    assert.equal(r.refsRemoved, 1);
    assert.ok(r.packsDeleted > 0, 'the packs only the orphan pinned are freed');
    assert.deepEqual(await finalRefs(a), [rc.snapshotId], `orphan ${orphan} removed, c's refs kept`);
    // the snapshot on c still has every pack it uses on a
    assert.equal((await verify({ drive: c, otherDrives: [a], readData: true })).ok, true);
    const out = join(tmp.path, 'out');
    await restore({ drive: c, otherDrives: [a], snapshotId: rc.snapshotId, target: out });
    assert.deepEqual(compareTrees(src, out), []);
  } finally {
    tmp.cleanup();
  }
});

void test("a backup process SIGKILLed between its refs and its snapshot: prune removes its refs (its lock is a dead PID's) and frees the packs", async () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    for (let i = 0; i < 3; i++) writeFileSync(join(src, `f${i}`), prng(`killed${i}`, 1024 * 1024));
    const a = await createDrive(join(tmp.path, 'a'), { packSize: 512 * 1024 });
    const cps: Checkpoint[] = [];
    await backup({
      drive: a,
      sources: src,
      cachePath: null,
      checkpointEvery: { bytes: 1 },
      onCheckpoint: (cp) => void cps.push(cp),
    });
    const b = await createDrive(join(tmp.path, 'b'));
    const cpFile = join(tmp.path, 'cp.json');
    writeFileSync(cpFile, JSON.stringify(cps[cps.length - 1]));
    // a real process resumes the checkpoint onto b and kills itself (SIGKILL) once its final refs
    // are on a, at the write of its snapshot: what a node dying at that moment leaves
    const engine = (m: string) => JSON.stringify(join(__dirname, '../../../src/engine', m));
    const script = `
      const { backup } = require(${engine('archiver')});
      const { Drive } = require(${engine('drive')});
      const { readdirSync, readFileSync } = require('node:fs');
      const refsDir = ${JSON.stringify(join(a.path, 'refs'))};
      const finalOnA = () => readdirSync(refsDir).filter((n) => !n.includes('.tmp-') && !JSON.parse(readFileSync(refsDir + '/' + n, 'utf8')).provisional);
      (async () => {
        const password = ${JSON.stringify(PASSWORD)};
        const a = await Drive.open(${JSON.stringify(a.path)}, { password });
        const b = await Drive.open(${JSON.stringify(b.path)}, { password });
        await backup({
          drive: b, sources: ${JSON.stringify(src)}, cachePath: null, otherDrives: [a], password,
          resumeFrom: JSON.parse(readFileSync(${JSON.stringify(cpFile)}, 'utf8')),
          beforeWrite: async () => { if (finalOnA().length > 0) process.kill(process.pid, 'SIGKILL'); },
        });
        process.stdout.write('committed\\n');
      })().catch((err) => { console.error(err); process.exit(3); });
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', `the backup process was not killed: ${child.stdout}${child.stderr}`);
    assert.deepEqual(await listSnapshots(b), [], 'killed before its snapshot');
    const [orphan] = await finalRefs(a);
    assert.ok(orphan, 'its final refs are on a');
    assert.equal(readdirSync(join(b.path, 'locks')).length, 1, "the killed process's lock is left on b");
    for (const s of await listSnapshots(a)) await a.remove('snapshots', s.id);
    old(join(a.path, 'refs', orphan));

    const r = await prune({ drive: a, otherDrives: [b] });
    assert.equal(r.refsRemoved, 1);
    assert.ok(r.packsDeleted > 0, JSON.stringify(r));
    assert.deepEqual(await finalRefs(a), []);
    assert.equal((await verify({ drive: a, readData: true })).ok, true);
  } finally {
    tmp.cleanup();
  }
});
