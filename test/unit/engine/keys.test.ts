import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Drive } from '../../../src/engine/drive';
import { backup } from '../../../src/engine/archiver';
import { restore } from '../../../src/engine/restorer';
import { addKey, changePassword, listKeys, removeKey } from '../../../src/engine/keys';
import { EngineError, LockedError, WrongPasswordError } from '../../../src/engine/errors';
import { Lock } from '../../../src/engine/lock';
import { contentId } from '../../../src/engine/hash';
import { PASSWORD, createDrive, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

const SECOND = 'a second passphrase';
const open = (path: string, password: string): Promise<Drive> => Drive.open(path, { password });
const config = (path: string): { version: number; encryption: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(path, 'config'), 'utf8')) as { version: number; encryption: Record<string, unknown> };

void test('a second key opens the drive with its own password; the config key is key `config`; both read the same data', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), prng('a', 200_000));
    const first = await createDrive(path);
    assert.equal(first.keyId, 'config');
    const { snapshotId } = await backup({ drive: first, sources: src, cachePath: null });
    const id = await addKey(first, SECOND, 1024);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(config(path).version, 6, 'adding a key leaves the config version as it was');

    const second = await open(path, SECOND);
    assert.equal(second.keyId, id);
    assert.ok(second.key?.equals(first.key as Buffer), 'both keys wrap the same master key');
    const keys = await listKeys(second);
    assert.deepEqual(
      keys.map((k) => [k.id, k.current]),
      [
        ['config', false],
        [id, true],
      ],
    );
    assert.ok(keys[1].hostname.length > 0 && keys[1].username.length > 0);
    await restore({ drive: second, snapshotId, target: join(tmp.path, 'r') });
    assert.deepEqual(compareTrees(src, join(tmp.path, 'r')), []);
    await assert.rejects(open(path, 'neither'), WrongPasswordError);
  } finally {
    tmp.cleanup();
  }
});

void test('remove refuses the key in use and the last key; removing `config` leaves a version 6 config without it, its MAC made anew and its content key kept, which still opens', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const first = await createDrive(path);
    await assert.rejects(
      removeKey(first, 'config'),
      /is the one this password opened drive .* with; nothing was changed/,
    );
    const id = await addKey(first, SECOND, 1024);
    await assert.rejects(removeKey(first, 'config'), (e: EngineError) => e.code === 'KEY_IN_USE');
    await assert.rejects(removeKey(first, 'nope'), /no key of drive .* matches "nope"; nothing was changed/);

    // under the exclusive lock: not beside a backup
    const second = await open(path, SECOND);
    const held = await Lock.acquire(second, false, 'backup');
    await assert.rejects(removeKey(second, 'config'), LockedError);
    await held.release();

    assert.equal(await removeKey(second, 'conf'), 'config');
    const contentKey = second.contentKey;
    const cfg = config(path);
    assert.equal(cfg.version, 6);
    assert.deepEqual(cfg.encryption, { algorithm: 'aes-256-gcm' });
    await assert.rejects(open(path, PASSWORD), WrongPasswordError);
    const again = await open(path, SECOND);
    assert.equal(again.keyId, id);
    assert.ok(contentKey && again.contentKey?.equals(contentKey), 'the content key is kept (the same chunk IDs)');
    await assert.rejects(removeKey(again, id.slice(0, 8)), /is the one this password opened/);
    assert.deepEqual(readdirSync(join(path, 'keys')), [id]);
  } finally {
    tmp.cleanup();
  }
});

void test("two processes each removing the other one's key cannot leave the drive without a key", async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const byConfig = await createDrive(path);
    const id = await addKey(byConfig, SECOND, 1024);
    const byFile = await open(path, SECOND); // both opened before either removes anything
    assert.equal(await removeKey(byFile, 'config'), 'config');
    // byConfig still holds the config it read at open, with its key in it: the drive's state decides
    await assert.rejects(removeKey(byConfig, id), /is the last key of drive .*; nothing was changed/);
    assert.deepEqual(readdirSync(join(path, 'keys')), [id]);
    await open(path, SECOND);
  } finally {
    tmp.cleanup();
  }
});

void test('passwd adds a key for the new password and removes the one in use', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const drive = await createDrive(path);
    const r = await changePassword(drive, SECOND, 1024);
    assert.equal(r.removed, 'config');
    await assert.rejects(open(path, PASSWORD), WrongPasswordError);
    assert.equal((await open(path, SECOND)).keyId, r.added);
    const r2 = await changePassword(await open(path, SECOND), 'third', 1024);
    assert.equal(r2.removed, r.added);
    assert.deepEqual(readdirSync(join(path, 'keys')), [r2.added]);
    await assert.rejects(open(path, SECOND), WrongPasswordError);
    await open(path, 'third');
  } finally {
    tmp.cleanup();
  }
});

void test('a key file with forged scrypt parameters, a wrong name or a bad shape is refused before any key is derived', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    const drive = await createDrive(path);
    const id = await addKey(drive, SECOND, 1024);
    const good = JSON.parse(readFileSync(join(path, 'keys', id), 'utf8')) as Record<string, unknown>;
    const kdf = good.kdf as Record<string, unknown>;
    const plant = (v: unknown, name?: string): void => {
      for (const f of readdirSync(join(path, 'keys'))) if (f !== id) rmSync(join(path, 'keys', f));
      const data = Buffer.from(JSON.stringify(v));
      writeFileSync(join(path, 'keys', name ?? contentId(data)), data);
    };
    const cases: [unknown, RegExp, string?][] = [
      [{ ...good, kdf: { ...kdf, N: 2 ** 30 } }, /scrypt N=1073741824 is not a power of two/],
      [{ ...good, kdf: { ...kdf, N: 2 ** 20, r: 32 } }, /would need 4096 MiB/],
      [{ ...good, kdf: { ...kdf, p: 2 ** 20 } }, /scrypt p=1048576 is not from 1 to 16/],
      [{ ...good, masterKey: 'AAAA' }, /a malformed wrapped master key/],
      [{ ...good, version: 2 }, /version 2, not 1/],
      [good, /is not named by its ID/, 'a'.repeat(64)],
    ];
    for (const [v, why, name] of cases) {
      plant(v, name);
      const start = Date.now();
      await assert.rejects(open(path, PASSWORD), (err: Error) => {
        assert.match(err.message, /key file keys\/[0-9a-f]{64} of drive .* is refused: /);
        assert.match(err.message, why);
        assert.match(err.message, /no key was derived/);
        return true;
      });
      assert.ok(Date.now() - start < 1000, `refused in ${Date.now() - start} ms`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('removing `config` from a version 2 drive (made before version 4) makes it version 3', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    await createDrive(path, { formatVersion: 4 });
    writeFileSync(join(path, 'config'), JSON.stringify({ ...config(path), version: 2 }));
    const first = await open(path, PASSWORD);
    await addKey(first, SECOND, 1024);
    assert.equal(await removeKey(await open(path, SECOND), 'config'), 'config');
    assert.equal(config(path).version, 3);
    assert.deepEqual(config(path).encryption, { algorithm: 'aes-256-gcm' });
  } finally {
    tmp.cleanup();
  }
});

void test('a version 3 config that still carries a wrapped key is refused', async () => {
  const tmp = tempDir();
  try {
    const path = join(tmp.path, 'drive');
    await createDrive(path, { formatVersion: 4 });
    writeFileSync(join(path, 'config'), JSON.stringify({ ...config(path), version: 3 }));
    await assert.rejects(open(path, PASSWORD), /a wrapped key in a version 3 config/);
  } finally {
    tmp.cleanup();
  }
});

void test('an unencrypted drive has no keys', async () => {
  const tmp = tempDir();
  try {
    const drive = await Drive.open(join(tmp.path, 'd'), { create: { kind: 'directory', encryption: false } });
    assert.equal(drive.keyId, null);
    await assert.rejects(addKey(drive, SECOND, 1024), /is unencrypted, so it has no keys; nothing was changed/);
    await assert.rejects(listKeys(drive), /is unencrypted/);
  } finally {
    tmp.cleanup();
  }
});
