/**
 * A lock's holder: it stops (LockLostError) when its lock was removed or replaced, or when it comes
 * back late and another process took the drive; a late holder whose lock still stands alone goes on.
 * Lateness is real: the event loop is blocked past the stale age, as a paused process would be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lock, removeStaleLocks } from '../../../src/engine/lock';
import { LockLostError } from '../../../src/engine/errors';
import type { Drive } from '../../../src/engine/drive';
import { createDrive } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

/** Blocks this thread (timers included) for `ms`, as SIGSTOP or a hung drive would. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function otherLock(drive: Drive, name: string, over: Record<string, unknown>): void {
  const now = new Date().toISOString();
  const file = {
    version: 2,
    exclusive: true,
    hostname: 'elsewhere',
    pid: 4242,
    time: now,
    refreshed: now,
    purpose: 'prune',
    staleAfter: 60,
  };
  writeFileSync(join(drive.path, 'locks', name), JSON.stringify({ ...file, ...over }));
}

async function withDrive(fn: (drive: Drive) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    await fn(await createDrive(`${tmp.path}/d`));
  } finally {
    tmp.cleanup();
  }
}

void test('a lock removed or replaced under its holder stops it; nothing more is written under it', () =>
  withDrive(async (drive) => {
    const a = await Lock.acquire(drive, false, 'backup', 60_000);
    await a.check();
    writeFileSync(
      join(drive.path, 'locks', a.name),
      readFileSync(join(drive.path, 'locks', a.name), 'utf8').replace('backup', 'forged'),
    );
    await assert.rejects(
      a.check(),
      (e) => e instanceof LockLostError && /lock on drive .* was replaced by another process/.test(e.message),
    );
    assert.throws(() => a.throwIfLost(), LockLostError);
    await assert.rejects(a.writeHeld('snapshots', 'f'.repeat(64), Buffer.from('x')), LockLostError);
    assert.deepEqual(readdirSync(join(drive.path, 'snapshots')), []);
    await a.release();
    assert.equal(readdirSync(join(drive.path, 'locks')).length, 1, 'a replaced lock file is not its to remove');

    const b = await Lock.acquire(drive, false, 'verify', 60_000);
    await drive.remove('locks', b.name);
    await assert.rejects(b.refresh(), /the verify lock on drive .* was removed by another process; verify stopped/);
    await b.release();
  }));

void test('the refresh timer finds a lost lock and the holder stops at its next throwIfLost', () =>
  withDrive(async (drive) => {
    const a = await Lock.acquire(drive, false, 'backup', 1200); // refreshed every 200 ms
    const first = readFileSync(join(drive.path, 'locks', a.name), 'utf8');
    await new Promise((r) => setTimeout(r, 500));
    assert.notEqual(readFileSync(join(drive.path, 'locks', a.name), 'utf8'), first, 'refreshed on its timer');
    await drive.remove('locks', a.name);
    await new Promise((r) => setTimeout(r, 500));
    assert.throws(() => a.throwIfLost(), /was removed by another process/);
    await a.release();
  }));

void test('a holder back late goes on when its lock still stands alone, and stops when another process took the drive', () =>
  withDrive(async (drive) => {
    const a = await Lock.acquire(drive, false, 'backup', 1000);
    stall(1500);
    await a.writeHeld('refs', 'a'.repeat(64), Buffer.from('{}')); // late: refreshed, then written
    assert.deepEqual(readdirSync(join(drive.path, 'refs')), ['a'.repeat(64)]);
    const refreshed = JSON.parse(readFileSync(join(drive.path, 'locks', a.name), 'utf8')) as { refreshed: string };
    assert.ok(Date.now() - Date.parse(refreshed.refreshed) < 1000);

    stall(1500);
    otherLock(drive, 'p'.repeat(32), {}); // a prune took the drive while this holder was away
    await assert.rejects(
      a.check(),
      /the backup lock on drive .* was not refreshed in time and prune on elsewhere pid 4242 took the drive; backup stopped/,
    );
    await a.release();
    assert.deepEqual(readdirSync(join(drive.path, 'locks')), ['p'.repeat(32)]);
  }));

void test('a holder paused between checking its lock and rewriting it, past the stale age, stops and leaves no lock', () =>
  withDrive(async (drive) => {
    const a = await Lock.acquire(drive, false, 'backup', 1000);
    const write = drive.writeFile.bind(drive);
    let paused = false;
    drive.writeFile = async (dir, name, data) => {
      if (dir === 'locks' && name === a.name && !paused) {
        paused = true;
        // its lock checked, the process stops; meanwhile a prune takes the stale lock and leaves
        stall(1500);
        await drive.remove('locks', a.name);
      }
      return write(dir, name, data);
    };
    await assert.rejects(
      a.refresh(),
      /the backup lock on drive .* went stale while this process refreshed it \(paused \d+ s since its last refresh\)/,
    );
    assert.ok(paused);
    assert.deepEqual(readdirSync(join(drive.path, 'locks')), [], 'the lock is not put back');
    assert.throws(() => a.throwIfLost(), LockLostError);
    await assert.rejects(a.writeHeld('snapshots', 'f'.repeat(64), Buffer.from('x')), LockLostError);
    await a.release();
  }));

void test('stale locks are removed (through a rename aside), live ones are left', () =>
  withDrive(async (drive) => {
    const old = new Date(Date.now() - 120_000);
    otherLock(drive, 'old', { refreshed: old.toISOString() });
    utimesSync(join(drive.path, 'locks', 'old'), old, old);
    otherLock(drive, 'live', {});
    const own = await Lock.acquire(drive, false, 'verify', 60_000).catch((e: unknown) => e);
    assert.match(String(own), /is locked by prune \(exclusive\) on elsewhere pid 4242/, 'the live one holds');
    assert.deepEqual(await removeStaleLocks(drive, 'none'), []);
    assert.deepEqual(readdirSync(join(drive.path, 'locks')), ['live']);
  }));
