/**
 * The authenticated config of repository format 5: a MAC under a subkey of the master key, checked
 * right after the key is unwrapped. An edited field is refused on any machine; the format version
 * edited down to 4, 3 or 2 is refused on any machine while the MAC is there, and with the MAC
 * stripped on a machine that has seen the drive at 5 (its record keeps the highest version seen).
 * Nothing is read or written in either case.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backup } from '../../../src/engine/archiver';
import { Drive } from '../../../src/engine/drive';
import { listSnapshots } from '../../../src/engine/snapshot';
import { configMac } from '../../../src/engine/config';
import type { DriveConfig } from '../../../src/engine/config';
import { CorruptionError, EngineError } from '../../../src/engine/errors';
import type { DriveState } from '../../../src/engine/drive-state';
import { PASSWORD, prng } from '../../helpers/engine';
import { tempDir } from '../../helpers/temp';

const readConfig = (drive: string): DriveConfig =>
  JSON.parse(readFileSync(join(drive, 'config'), 'utf8')) as DriveConfig;
const writeConfig = (drive: string, cfg: object): void =>
  writeFileSync(join(drive, 'config'), JSON.stringify(cfg, null, 2));

/** Every file under `dir` with its size: what "nothing was written" compares. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${join(e.parentPath, e.name).slice(dir.length)}:${readFileSync(join(e.parentPath, e.name)).length}`)
    .sort();
}

const refused = (code: string, what: RegExp) => (e: Error) =>
  e instanceof EngineError &&
  e.code === code &&
  what.test(e.message) &&
  /nothing was (read or )?written/.test(e.message);

/** A version 5 drive with one snapshot, known to the machine whose records are in `seen`. */
async function made(tmp: string): Promise<{ path: string; seen: string; original: DriveConfig; key: Buffer }> {
  const src = join(tmp, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'f'), prng('f', 50_000));
  const seen = join(tmp, 'seen');
  const path = join(tmp, 'd');
  const create = { kind: 'directory', encryption: true, kdfN: 1024, formatVersion: 5 } as const;
  const drive = await Drive.open(path, { password: PASSWORD, stateDir: seen, create });
  await backup({ drive, sources: src, cachePath: null });
  return { path, seen, original: readConfig(path), key: drive.key as Buffer };
}

void test('init writes version 5 with a MAC over the rest of the config, under the master key', async () => {
  const tmp = tempDir();
  try {
    const { original, key } = await made(tmp.path);
    assert.equal(original.version, 5);
    assert.match(original.mac ?? '', /^[0-9a-f]{64}$/);
    assert.equal(configMac(key, original), original.mac);
    const reordered = Object.fromEntries(Object.entries(original).reverse()) as unknown as DriveConfig;
    assert.equal(configMac(key, reordered), original.mac, 'the MAC does not depend on the order of the fields');
    assert.notEqual(configMac(key, { ...original, packSize: original.packSize + 1 }), original.mac);
  } finally {
    tmp.cleanup();
  }
});

void test('a field edited in a version 5 config is refused on any machine, nothing read or written', async () => {
  const tmp = tempDir();
  try {
    const { path, original } = await made(tmp.path);
    const other = join(tmp.path, 'other-machine');
    const edits: [string, object][] = [
      ['pack size', { packSize: 1024 * 1024 }],
      ['compression', { compression: { algorithm: 'zstd', level: 19 } }],
      ['created', { created: '2020-01-01T00:00:00.000Z' }],
      ['kind', { kind: 'tape', tape: { volumeSize: 16 * 1024 * 1024, volumes: 4 } }],
    ];
    for (const [what, edit] of edits) {
      writeConfig(path, { ...original, ...edit });
      const before = files(path);
      await assert.rejects(
        Drive.open(path, { password: PASSWORD, stateDir: other }),
        refused('BAD_CONFIG', /config of drive .* failed authentication \(its MAC does not match/),
        what,
      );
      assert.deepEqual(files(path), before, `${what}: nothing written to the drive`);
      assert.deepEqual(files(other), [], `${what}: nothing recorded`);
    }
    writeConfig(path, { ...original, mac: undefined });
    await assert.rejects(
      Drive.open(path, { password: PASSWORD, stateDir: other }),
      refused('BAD_CONFIG', /it is version 5 and encrypted but carries no MAC/),
    );
    writeConfig(path, { ...original, encryption: null });
    await assert.rejects(
      Drive.open(path, { stateDir: other }),
      refused('BAD_CONFIG', /says it is unencrypted .* but its config carries the MAC of an encrypted drive/),
    );
    writeConfig(path, original);
    assert.equal((await Drive.open(path, { password: PASSWORD, stateDir: other })).config.version, 5);
  } finally {
    tmp.cleanup();
  }
});

void test('the version edited down to 4, 3 or 2 is refused: by its MAC anywhere, by the record where it was seen', async () => {
  const tmp = tempDir();
  try {
    const { path, seen, original } = await made(tmp.path);
    const record = (): DriveState => JSON.parse(readFileSync(join(seen, `${original.id}.json`), 'utf8')) as DriveState;
    assert.equal(record().formatVersion, 5);
    for (const version of [4, 3, 2]) {
      writeConfig(path, { ...original, version });
      await assert.rejects(
        Drive.open(path, { password: PASSWORD, stateDir: join(tmp.path, `fresh-${version}`) }),
        refused('BAD_CONFIG', new RegExp(`it says version ${version} but carries a version 5 MAC`)),
      );
    }
    // the MAC stripped too: the record of a machine that saw version 5 refuses it
    for (const version of [4, 2]) {
      writeConfig(path, { ...original, version, mac: undefined });
      const before = files(path);
      await assert.rejects(
        Drive.open(path, { password: PASSWORD, stateDir: seen }),
        refused(
          'DRIVE_CHANGED',
          new RegExp(`says repository format version ${version}, but this machine saw it at version 5`),
        ),
      );
      assert.deepEqual(files(path), before);
      assert.equal(record().formatVersion, 5, 'the record keeps the highest version');
    }
    writeConfig(path, { ...original, version: 3, mac: undefined });
    await assert.rejects(
      Drive.open(path, { password: PASSWORD, stateDir: seen }),
      /a wrapped key in a version 3 config/,
    );
    // a machine that never saw it opens the stripped version 4 config, but reads nothing: version 5's
    // metadata and blobs are bound to version 5
    writeConfig(path, { ...original, version: 4, mac: undefined });
    const fooled = await Drive.open(path, { password: PASSWORD, stateDir: join(tmp.path, 'first-use') });
    await assert.rejects(
      listSnapshots(fooled),
      (e: Error) => e instanceof CorruptionError && /failed authentication/.test(e.message),
    );
    writeConfig(path, original);
    assert.equal((await listSnapshots(await Drive.open(path, { password: PASSWORD, stateDir: seen }))).length, 1);
  } finally {
    tmp.cleanup();
  }
});
