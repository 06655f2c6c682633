import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { Drive } from '../../../src/engine/drive';
import { listSnapshots } from '../../../src/engine/snapshot';
import { forget } from '../../../src/engine/pruner';
import { EngineError } from '../../../src/engine/errors';
import type { DriveState } from '../../../src/engine/drive-state';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

// every drive of this file is remembered here, not in the home of whoever runs the tests
const STATE = tempDir('baton-state-');
process.env.BATON_STATE_DIR = STATE.path;

/** the command users run (dist/test/unit/engine -> bin/baton.js) */
const MAIN = join(__dirname, '../../../../bin/baton.js');

/** Every file under `dir`, relative, with its size: what "nothing was written" compares. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name).slice(dir.length)}:${readFileSync(join(e.parentPath, e.name)).length}`)
    .sort();
}

function readConfig(drive: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(drive, 'config'), 'utf8')) as Record<string, unknown>;
}

function writeConfig(drive: string, cfg: Record<string, unknown>): void {
  writeFileSync(join(drive, 'config'), JSON.stringify(cfg, null, 2));
}

function stateOf(id: string): DriveState {
  return JSON.parse(readFileSync(join(STATE.path, `${id}.json`), 'utf8')) as DriveState;
}

async function backupOnce(drive: Drive, src: string): Promise<string> {
  const r = await backup({ drive, sources: src, cachePath: null });
  return r.snapshotId;
}

/** What the issue tried: config edited to "encryption": null, index/ and snapshots/ moved aside. */
function downgrade(drive: string, aside: string): void {
  writeConfig(drive, { ...readConfig(drive), encryption: null });
  mkdirSync(aside, { recursive: true });
  renameSync(join(drive, 'index'), join(aside, 'index'));
  renameSync(join(drive, 'snapshots'), join(aside, 'snapshots'));
  mkdirSync(join(drive, 'index'));
  mkdirSync(join(drive, 'snapshots'));
}

void test('a drive downgraded to "encryption": null is refused when a passphrase is given; nothing is written', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/old`, prng('old', 100_000));
    const path = `${tmp.path}/drive`;
    await backupOnce(await createDrive(path), `${tmp.path}/src`);
    downgrade(path, `${tmp.path}/aside`);
    writeFileSync(`${tmp.path}/src/new`, prng('new', 100_000));
    const before = { drive: files(path), state: files(STATE.path), tmp: files(tmp.path) };

    const refused =
      /drive .*\/drive says it is unencrypted \("encryption": null in its config\) but a passphrase was given: refusing to use it, nothing was read or written\. Its config may have been tampered with.*To use a drive that really is unencrypted, give no passphrase/;
    await assert.rejects(Drive.open(path, { password: PASSWORD }), refused);
    // a machine that never saw the drive refuses it as well: the passphrase alone says "encrypted"
    await assert.rejects(Drive.open(path, { password: PASSWORD, stateDir: `${tmp.path}/fresh-state` }), refused);
    // the cluster's backup opens with `create` and its configured encryption: refused too, even without a passphrase
    await assert.rejects(
      Drive.open(path, { create: { kind: 'directory', encryption: true } }),
      /says it is unencrypted .* but encryption is configured/,
    );
    assert.deepEqual(files(path), before.drive, 'nothing written to the drive');
    assert.deepEqual(files(STATE.path), before.state, 'nothing recorded');
    assert.deepEqual(files(tmp.path), before.tmp, 'nothing written beside the drive');
  } finally {
    tmp.cleanup();
  }
});

void test('a known version 4 drive whose encryption was switched off or whose key changed is refused', async () => {
  const tmp = tempDir();
  try {
    const a = `${tmp.path}/a`;
    const b = `${tmp.path}/b`;
    // version 4 configs are not authenticated: the record is what tells (version 5: config.mac.test.ts)
    const drive = await createDrive(a, { formatVersion: 4 });
    await createDrive(b, { formatVersion: 4 });
    const original = readConfig(a);

    // switched off, opened without a passphrase: only the record can tell
    writeConfig(a, { ...original, encryption: null });
    await assert.rejects(
      Drive.open(a),
      (err: Error) =>
        err instanceof EngineError &&
        err.code === 'DRIVE_CHANGED' &&
        /is unencrypted now, but this machine saw it encrypted before: refusing to use it/.test(err.message) &&
        err.message.includes(`delete ${join(STATE.path, `${drive.id}.json`)}`),
    );

    // another key under the same ID and passphrase (the other drive's wrapped key)
    writeConfig(a, { ...original, encryption: readConfig(b).encryption });
    await assert.rejects(
      Drive.open(a, { password: PASSWORD }),
      /drive .*\/a \(id [0-9a-f]{32}\) has a different encryption key than when this machine saw it before/,
    );

    // the original config opens as before; forgetting the record accepts the changed one (as documented)
    writeConfig(a, original);
    await Drive.open(a, { password: PASSWORD });
    writeConfig(a, { ...original, encryption: readConfig(b).encryption });
    rmSync(join(STATE.path, `${drive.id}.json`));
    await Drive.open(a, { password: PASSWORD });
  } finally {
    tmp.cleanup();
  }
});

void test('rolled-back snapshots are refused; forgetting older snapshots, here or elsewhere, is not a rollback', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/f`, prng('f', 10_000));
    const path = `${tmp.path}/drive`;
    const drive = await createDrive(path);
    const first = await backupOnce(drive, `${tmp.path}/src`);
    cpSync(`${path}/snapshots`, `${tmp.path}/old-snapshots`, { recursive: true });
    const second = await backupOnce(drive, `${tmp.path}/src`);
    cpSync(`${path}/snapshots`, `${tmp.path}/all-snapshots`, { recursive: true });
    // the commit raised the mark at once, not at the next open
    const newest = stateOf(drive.id).newest;
    assert.ok(newest !== null && newest > stateOf(drive.id).snapshots[first]);
    assert.equal(stateOf(drive.id).snapshots[second], newest);

    rmSync(`${path}/snapshots`, { recursive: true });
    cpSync(`${tmp.path}/old-snapshots`, `${path}/snapshots`, { recursive: true });
    await assert.rejects(
      Drive.open(path, { password: PASSWORD }),
      new RegExp(
        `drive .*/drive \\(id ${drive.id}\\) was rolled back: its newest snapshot is .*, but this machine has seen one from ${newest} there; refusing to use it`,
      ),
    );
    rmSync(`${path}/snapshots`, { recursive: true });
    mkdirSync(`${path}/snapshots`);
    await assert.rejects(Drive.open(path, { password: PASSWORD }), /its newest snapshot is none/);

    // back as it was: an older snapshot removed by another machine, then forget here, are fine
    rmSync(`${path}/snapshots`, { recursive: true });
    cpSync(`${tmp.path}/all-snapshots`, `${path}/snapshots`, { recursive: true });
    const third = await backupOnce(await Drive.open(path, { password: PASSWORD }), `${tmp.path}/src`);
    rmSync(`${path}/snapshots/${first}`);
    const again = await Drive.open(path, { password: PASSWORD });
    await backupOnce(again, `${tmp.path}/src`);
    await forget({ drive: again, policy: { last: 1 } });
    const left = await listSnapshots(await Drive.open(path, { password: PASSWORD }));
    assert.equal(left.length, 1);
    assert.notEqual(left[0].id, third);
  } finally {
    tmp.cleanup();
  }
});

void test('forged scrypt parameters are refused before any key is derived', async () => {
  const tmp = tempDir();
  try {
    const path = `${tmp.path}/drive`;
    await createDrive(path);
    const cfg = readConfig(path);
    const enc = cfg.encryption as { kdf: Record<string, unknown> };
    const forge = (kdf: Record<string, unknown>): void =>
      writeConfig(path, { ...cfg, encryption: { ...enc, kdf: { ...enc.kdf, ...kdf } } });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ N: 2 ** 30 }, /scrypt N=1073741824 is not a power of two from 1024 to 1048576/],
      [{ N: 2 ** 20, r: 32 }, /would need 4096 MiB, more than 256/],
      [{ r: 1e9 }, /scrypt r=1000000000 is not from 1 to 32/],
      [{ p: 2 ** 20 }, /scrypt p=1048576 is not from 1 to 16/],
      [{ N: 2 ** 16, r: 16, p: 16 }, /is more work than/],
      [{ salt: 'AAAA' }, /scrypt salt of 3 bytes, not 16 to 64/],
      [{ N: 'a lot' }, /scrypt N=a lot/],
    ];
    for (const [kdf, why] of cases) {
      forge(kdf);
      const start = Date.now();
      await assert.rejects(Drive.open(path, { password: PASSWORD }), (err: Error) => {
        assert.match(err.message, /has encryption settings baton refuses: /);
        assert.match(err.message, why);
        assert.match(err.message, /no key was derived and nothing was read or written/);
        return true;
      });
      assert.ok(Date.now() - start < 1000, `refused in ${Date.now() - start} ms`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('a plain unencrypted drive works without a passphrase, and is refused with one', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/f`, 'clear on purpose');
    const path = `${tmp.path}/drive`;
    const drive = await Drive.open(path, { create: { kind: 'directory', encryption: false } });
    assert.equal(drive.key, null);
    const id = await backupOnce(drive, `${tmp.path}/src`);
    const again = await Drive.open(path);
    assert.deepEqual(
      (await listSnapshots(again)).map((s) => s.id),
      [id],
    );
    assert.equal(stateOf(drive.id).encrypted, false);
    // explicitly configured as unencrypted (repository.encryption: false) is accepted with a passphrase
    await Drive.open(path, { password: PASSWORD, create: { kind: 'directory', encryption: false } });
    await assert.rejects(Drive.open(path, { password: PASSWORD }), /says it is unencrypted/);
  } finally {
    tmp.cleanup();
  }
});

void test('first use records the drive: encryption state, key fingerprint (not the key), newest snapshot', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/f`, 'x');
    const path = `${tmp.path}/drive`;
    const made = await createDrive(path);
    await backupOnce(made, `${tmp.path}/src`);
    const stateDir = `${tmp.path}/state`;
    assert.equal(existsSync(stateDir), false);
    // several processes of one host share the directory: concurrent opens leave one whole record
    const opened = await Promise.all([1, 2, 3, 4].map(() => Drive.open(path, { password: PASSWORD, stateDir })));
    const drive = opened[0];
    const text = readFileSync(join(stateDir, `${drive.id}.json`), 'utf8');
    const state = JSON.parse(text) as DriveState;
    const [snap] = await listSnapshots(drive);
    assert.equal(state.drive, drive.id);
    assert.equal(state.path, path);
    assert.equal(state.encrypted, true);
    assert.match(state.keyFingerprint ?? '', /^[0-9a-f]{64}$/);
    assert.equal(text.includes((drive.key as Buffer).toString('hex')), false);
    assert.equal(text.includes((drive.key as Buffer).toString('base64')), false);
    assert.equal(state.newest, snap.snapshot.time);
    assert.deepEqual(state.snapshots, { [snap.id]: snap.snapshot.time });
    assert.deepEqual(
      readdirSync(stateDir).filter((n) => n.includes('.tmp-')),
      [],
      'no temp files left',
    );
  } finally {
    tmp.cleanup();
  }
});

function baton(args: string[], env: Record<string, string>): { code: number; err: string } {
  const r = spawnSync(process.execPath, [MAIN, 'repo', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, err: r.stderr };
}

void test('CLI: the downgraded drive of the issue: backup exits 1 with one line, and writes nothing', () => {
  const tmp = tempDir();
  try {
    const env = {
      BATON_PASSWORD: 'pw',
      BATON_STATE_DIR: `${tmp.path}/state`,
      BATON_CACHE_DIR: `${tmp.path}/cache`,
    };
    const drive = `${tmp.path}/drive`;
    mkdirSync(`${tmp.path}/src`);
    writeFileSync(`${tmp.path}/src/old`, prng('old', 50_000));
    assert.equal(baton(['init', '--drive', drive], env).code, 0);
    assert.equal(baton(['backup', '--drive', drive, `${tmp.path}/src`], env).code, 0);
    downgrade(drive, `${tmp.path}/aside`);
    const secret = 'the new file, which must not reach the drive in clear text';
    writeFileSync(`${tmp.path}/src/new`, secret);
    const data = files(`${drive}/data`);
    const state = files(`${tmp.path}/state`);
    const cache = files(`${tmp.path}/cache`);

    const r = baton(['backup', '--drive', drive, `${tmp.path}/src`], env);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^baton repo backup: drive .*\/drive says it is unencrypted \("encryption": null in its config\) but a passphrase was given: refusing to use it, nothing was read or written\. .*give no passphrase \(unset BATON_PASSWORD, drop --password-file; .*\)\n$/,
    );
    assert.deepEqual(files(`${drive}/data`), data);
    assert.deepEqual(files(`${tmp.path}/state`), state);
    assert.deepEqual(files(`${drive}/snapshots`), []);
    assert.deepEqual(files(`${drive}/index`), []);
    assert.deepEqual(files(`${tmp.path}/cache`), cache);

    // a really unencrypted drive: --no-encryption wants no passphrase, and is used without one
    const plain = `${tmp.path}/plain`;
    const mixed = baton(['init', '--drive', plain, '--no-encryption'], env);
    assert.equal(mixed.code, 1);
    assert.match(mixed.err, /^baton repo init: --no-encryption with a passphrase given: .*unset BATON_PASSWORD\b.*\n$/);
    assert.equal(existsSync(plain), false);
    const clear = { ...env, BATON_PASSWORD: '' };
    assert.equal(baton(['init', '--drive', plain, '--no-encryption'], clear).code, 0);
    assert.equal(baton(['backup', '--drive', plain, `${tmp.path}/src`], clear).code, 0);
  } finally {
    tmp.cleanup();
  }
});
