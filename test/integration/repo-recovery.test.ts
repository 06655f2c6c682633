/**
 * Recovery tools for drives, as a user runs them: `baton repo` as a real process on a real drive.
 * A damaged or lost index file stops backup with a message naming `repair index`, which rebuilds
 * the index so that restore is byte-identical and verify clean; keys added and removed change which
 * passwords open the drive; a backup to a path with no repository changes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baton } from '../helpers/cli';
import type { CliResult } from '../helpers/cli';
import { buildAwkwardTree, prng } from '../helpers/engine';
import { compareTrees } from '../helpers/tree';
import { tempDir } from '../helpers/temp';

const repo = (args: string[], env: Record<string, string>): CliResult => baton(['repo', ...args], { env });

function ok(r: CliResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

void test('baton repo: a damaged index file stops backup; repair index; restore is byte-identical, verify and prune clean', () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    buildAwkwardTree(src);
    const drive = join(tmp.path, 'drive');
    const env = {
      BATON_PASSWORD: 'pw',
      BATON_CACHE_DIR: join(tmp.path, 'cache'),
      BATON_STATE_DIR: join(tmp.path, 's'),
    };
    ok(repo(['init', '--drive', drive], env), 'init');
    ok(repo(['backup', '--drive', drive, '--no-cache', src], env), 'first backup');
    writeFileSync(join(src, 'data', 'later'), prng('later', 3_000_000));
    const id = ok(repo(['backup', '--drive', drive, '--no-cache', src], env), 'second backup').trim();

    // flip a byte in one index file, delete another
    const [first, second] = readdirSync(join(drive, 'index')).sort();
    const bytes = readFileSync(join(drive, 'index', first));
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(join(drive, 'index', first), bytes);
    unlinkSync(join(drive, 'index', second));

    const refused = repo(['backup', '--drive', drive, '--no-cache', src], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`index file ${first} on drive ${drive} failed authentication`));
    assert.match(refused.stderr, new RegExp(`baton repo repair index --drive ${drive}`));
    assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');

    const repaired = ok(repo(['repair', 'index', '--drive', drive], env), 'repair index');
    assert.match(repaired, new RegExp(`replaced damaged index file ${first}`));
    assert.match(repaired, /\d+ packs read, \d+ kept from the old index, \d+ blobs indexed, 0 packs unreadable/);
    assert.equal(readdirSync(join(drive, 'index')).includes(first), false);

    ok(repo(['restore', '--drive', drive, id, '--target', join(tmp.path, 'out')], env), 'restore');
    assert.deepEqual(compareTrees(src, join(tmp.path, 'out')), []);
    assert.match(ok(repo(['verify', '--drive', drive, '--read-data'], env), 'verify'), /: no errors$/m);
    ok(repo(['backup', '--drive', drive, src], env), 'backup after repair');
    ok(repo(['prune', '--drive', drive], env), 'prune after repair');
    assert.match(ok(repo(['verify', '--drive', drive], env), 'verify after prune'), /: no errors$/m);

    const json = JSON.parse(
      ok(repo(['repair', 'index', '--drive', drive, '--read-all-packs', '--json'], env), 'json'),
    ) as {
      packsRead: number;
      packsKept: number;
      unreadable: unknown[];
    };
    assert.ok(json.packsRead > 0 && json.packsKept === 0 && json.unreadable.length === 0, JSON.stringify(json));
  } finally {
    tmp.cleanup();
  }
});

void test('baton repo key: add a second key, open with each, remove the first, the old password is refused', () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), prng('f', 100_000));
    const drive = join(tmp.path, 'drive');
    const base = { BATON_CACHE_DIR: join(tmp.path, 'cache'), BATON_STATE_DIR: join(tmp.path, 's') };
    const old = { ...base, BATON_PASSWORD: 'old secret' };
    const neu = { ...base, BATON_PASSWORD: 'new secret' };
    ok(repo(['init', '--drive', drive], old), 'init');
    const id = ok(repo(['backup', '--drive', drive, src], old), 'backup').trim();

    const noNew = repo(['key', 'add', '--drive', drive], old);
    assert.equal(noNew.code, 1);
    assert.match(noNew.stderr, /no new password given; set BATON_NEW_PASSWORD or use --new-password-file/);
    const pwFile = join(tmp.path, 'new-pw');
    writeFileSync(pwFile, 'new secret\n');
    const added = ok(repo(['key', 'add', '--drive', drive, '--new-password-file', pwFile], old), 'key add');
    const keyId = /added key ([0-9a-f]{64})/.exec(added)?.[1] as string;
    assert.ok(keyId, added);

    const list = ok(repo(['key', 'list', '--drive', drive], neu), 'key list with the new password');
    assert.match(list, /^ {2}config {2}\S+ {2}-@-$/m);
    assert.match(list, new RegExp(`^\\* ${keyId.slice(0, 12)} {2}\\S+ {2}\\S+@\\S+$`, 'm'));
    for (const env of [old, neu]) ok(repo(['snapshots', '--drive', drive], env), 'snapshots');

    const inUse = repo(['key', 'remove', '--drive', drive, keyId.slice(0, 8)], neu);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /is the one this password opened drive .* with; nothing was changed/);
    assert.match(ok(repo(['key', 'remove', '--drive', drive, 'config'], neu), 'key remove'), /removed key config/);

    const refused = repo(['snapshots', '--drive', drive], old);
    assert.equal(refused.code, 12, refused.stderr);
    assert.match(refused.stderr, /wrong password for drive/);
    ok(repo(['restore', '--drive', drive, id, '--target', join(tmp.path, 'out')], neu), 'restore');
    assert.deepEqual(compareTrees(src, join(tmp.path, 'out')), []);

    const passwd = repo(['key', 'passwd', '--drive', drive], { ...neu, BATON_NEW_PASSWORD: 'third' });
    assert.match(ok(passwd, 'passwd'), new RegExp(`removed key ${keyId}`));
    assert.equal(repo(['snapshots', '--drive', drive], neu).code, 12);
    ok(repo(['snapshots', '--drive', drive], { ...base, BATON_PASSWORD: 'third' }), 'third');
  } finally {
    tmp.cleanup();
  }
});

void test('baton repo backup to a path with no repository says so in one line and creates nothing', () => {
  const tmp = tempDir();
  try {
    const src = join(tmp.path, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), 'x');
    const env = { BATON_PASSWORD: 'pw', BATON_STATE_DIR: join(tmp.path, 's') };
    const missing = join(tmp.path, 'not-mounted', 'drive');
    const r = repo(['backup', '--drive', missing, src], env);
    assert.equal(r.code, 10, 'exit 10: no repository (docs/cli.md)');
    assert.equal(
      r.stderr,
      `baton repo backup: no repository at ${missing}: no Baton drive there (no config file), so nothing was read or ` +
        `written. Run \`baton repo init --drive ${missing}\` first, or mount the drive's storage if it should be there\n`,
    );
    assert.equal(existsSync(join(tmp.path, 'not-mounted')), false);
    const empty = join(tmp.path, 'empty-mount-point');
    mkdirSync(empty);
    assert.equal(repo(['backup', '--drive', empty, src], env).code, 10);
    assert.deepEqual(readdirSync(empty), [], 'an empty directory is not made a drive');
  } finally {
    tmp.cleanup();
  }
});
