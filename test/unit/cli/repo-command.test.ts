import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAwkwardTree, prng } from '../../helpers/engine';
import { compareTrees } from '../../helpers/tree';
import { tempDir } from '../../helpers/temp';

/** the command users run (dist/test/unit/engine -> bin/baton.js), which hands `repo` to repo-main.js */
const MAIN = join(__dirname, '../../../../bin/baton.js');

/** Root reads every file; `withoutDacOverride` runs the command as root without that power. */
const DROP_DAC = [
  'setpriv',
  '--inh-caps=-dac_override,-dac_read_search',
  '--bounding-set=-dac_override,-dac_read_search',
];

function baton(
  args: string[],
  env: Record<string, string> = {},
  withoutDacOverride = false,
): { code: number; out: string; err: string } {
  const argv = [...(withoutDacOverride ? DROP_DAC : []), process.execPath, MAIN, 'repo', ...args];
  const r = spawnSync(argv[0], argv.slice(1), {
    env: { ...process.env, BATON_PASSWORD: 'pw', ...env },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The `summary` line that ends a backup's or restore's JSON lines (after its `status` lines). */
function summary<T>(out: string): T {
  const lines = out.trimEnd().split('\n');
  const last = JSON.parse(lines[lines.length - 1]) as T & { message_type: string };
  assert.equal(last.message_type, 'summary', out);
  for (const l of lines.slice(0, -1)) assert.equal((JSON.parse(l) as { message_type: string }).message_type, 'status');
  return last;
}

void test('CLI: init, backup, snapshots --json, restore, verify, forget --prune', () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    buildAwkwardTree(src);
    const drive = `${tmp.path}/drive`;
    const env = { BATON_CACHE_DIR: `${tmp.path}/cache` };
    assert.equal(baton(['init', '--drive', drive], env).code, 0);
    const b = baton(['backup', '--drive', drive, '--app', 'db1', src], env);
    assert.equal(b.code, 0, b.err);
    const id = b.out.trim().split('\n').pop() as string;
    assert.match(id, /^[0-9a-f]{64}$/);
    const j = baton(['backup', '--drive', drive, '--app', 'db1', '--json', src], env);
    assert.equal(summary<{ stats: { newBytes: number } }>(j.out).stats.newBytes, 0);
    const list = JSON.parse(baton(['snapshots', '--drive', drive, '--json'], env).out) as {
      id: string;
      app: string;
      stats: { files: number; bytes: number };
    }[];
    assert.deepEqual(
      list.map((s) => s.app),
      ['db1', 'db1'],
    );
    const r = baton(['restore', '--drive', drive, id.slice(0, 12), '--target', `${tmp.path}/out`], env);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(compareTrees(src, `${tmp.path}/out`), []);
    // --json: status lines whose totals are the snapshot's, then the summary
    const rj = baton(['restore', '--drive', drive, id, '--target', `${tmp.path}/out-json`, '--json'], env);
    assert.equal(rj.code, 0, rj.err);
    assert.ok(summary<{ files: number }>(rj.out).files > 0, rj.out);
    const totals = rj.out
      .trimEnd()
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { total_bytes: number; total_files: number });
    assert.ok(totals.length >= 1, rj.out);
    for (const t of totals)
      assert.deepEqual([t.total_bytes, t.total_files], [list[0].stats.bytes, list[0].stats.files]);
    assert.equal(baton(['verify', '--drive', drive, '--read-data'], env).code, 0);
    const f = baton(['forget', '--drive', drive, '--keep-last', '1', '--prune', '--json'], env);
    assert.equal(f.code, 0, f.err);
    assert.equal((JSON.parse(f.out) as { remove: string[] }).remove.length, 1);
    // errors say why and what to do; a wrong password exits 12 (restic's code), no repository 10
    const bad = baton(['snapshots', '--drive', drive], { BATON_PASSWORD: 'wrong' });
    assert.equal(bad.code, 12);
    assert.match(bad.err, /wrong password for drive .*BATON_PASSWORD/);
    // backup and restore start their workers before the key is checked; they still end at once
    const badBackup = baton(['backup', '--drive', drive, src], { BATON_PASSWORD: 'wrong' });
    assert.equal(badBackup.code, 12);
    assert.match(badBackup.err, /wrong password for drive/);
    const badRestore = baton(['restore', '--drive', drive, id, '--target', `${tmp.path}/out2`], {
      BATON_PASSWORD: 'wrong',
    });
    assert.equal(badRestore.code, 12);
    assert.match(badRestore.err, /wrong password for drive/);
    const none = baton(['restore', '--drive', `${tmp.path}/nothing`, id, '--target', `${tmp.path}/out3`]);
    assert.equal(none.code, 10);
    assert.equal(
      none.err,
      `baton repo restore: no repository at ${tmp.path}/nothing: no Baton drive there (no config file), so nothing was read or written. ` +
        `Run \`baton repo init --drive ${tmp.path}/nothing\` first, or mount the drive's storage if it should be there\n`,
    );
    assert.equal(existsSync(`${tmp.path}/out3`), false);
    const kind = baton(['snapshots', '--drive', drive, '--kind', 'tape']);
    assert.equal(kind.code, 1);
    assert.match(kind.err, /is a directory drive, not tape/);
  } finally {
    tmp.cleanup();
  }
});

void test('CLI: init records the compression level (default 2); a bad level is refused and creates nothing', () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    // text-like data: words from a small vocabulary, so the level makes a difference
    const words = ['backup', 'cluster', 'node', 'drive', 'snapshot', 'chunk', 'pack', 'index', 'tree', 'fence'];
    for (let i = 0; i < 8; i++) {
      const r = prng(`t${i}`, 64 * 1024);
      writeFileSync(`${src}/t${i}`, Array.from(r, (x) => words[x % words.length] + (x & 16 ? '\n' : ' ')).join(''));
    }
    const sizes: number[] = [];
    for (const level of ['1', '19']) {
      const drive = `${tmp.path}/d${level}`;
      const init = baton(['init', '--drive', drive, '--compression-level', level, '--json']);
      assert.equal(init.code, 0, init.err);
      assert.equal((JSON.parse(init.out) as { compressionLevel: number }).compressionLevel, Number(level));
      const b = baton(['backup', '--drive', drive, '--no-cache', '--json', src]);
      assert.equal(b.code, 0, b.err);
      const r = baton([
        'restore',
        '--drive',
        drive,
        summary<{ snapshot: string }>(b.out).snapshot,
        '--target',
        `${tmp.path}/out${level}`,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(compareTrees(src, `${tmp.path}/out${level}`), []);
      sizes.push(Number(spawnSync('du', ['-sb', `${drive}/data`], { encoding: 'utf8' }).stdout.split('\t')[0]));
    }
    assert.ok(sizes[1] < sizes[0], `level 19 (${sizes[1]} bytes) stores less than level 1 (${sizes[0]})`);
    // without --compression-level: the default, level 2 (see ZSTD_LEVEL in blob.ts for why)
    const plain = baton(['init', '--drive', `${tmp.path}/default`, '--json']);
    assert.equal(plain.code, 0, plain.err);
    assert.equal((JSON.parse(plain.out) as { compressionLevel: number }).compressionLevel, 2);
    for (const bad of ['0', '20', '2.5']) {
      const r = baton(['init', '--drive', `${tmp.path}/bad`, '--compression-level', bad]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /compression level .* is out of range; use 1 \(fastest\) to 19 \(smallest\)|not a whole number: 2\.5/,
      );
      assert.equal(existsSync(`${tmp.path}/bad`), false);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('CLI: an unreadable file is recorded and skipped; the snapshot is committed, exit code 3', () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    mkdirSync(src);
    writeFileSync(`${src}/ok`, 'fine');
    writeFileSync(`${src}/secret`, 'no');
    chmodSync(`${src}/secret`, 0o000);
    const drive = `${tmp.path}/drive`;
    assert.equal(baton(['init', '--drive', drive]).code, 0);
    // root reads everything: run the backup without the capabilities that let it (the checkout
    // may sit where another user could not reach it, so no user switch)
    const b = baton(['backup', '--drive', drive, '--no-cache', src], {}, process.getuid?.() === 0);
    assert.equal(b.code, 3, b.err);
    assert.match(b.err, /error: .*secret: .*(EACCES|permission denied)/i);
    assert.match(b.err, /committed but is incomplete/);
    const id = b.out.trim();
    const r = baton(['restore', '--drive', drive, id, '--target', `${tmp.path}/out`]);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(`${tmp.path}/out/ok`) && !existsSync(`${tmp.path}/out/secret`));
  } finally {
    tmp.cleanup();
  }
});

void test('CLI: a backup killed at random points resumes from its last checkpoint on another drive and restores identically', async () => {
  const tmp = tempDir();
  try {
    const src = `${tmp.path}/src`;
    buildAwkwardTree(src);
    for (let i = 0; i < 12; i++) writeFileSync(`${src}/data/big${i}`, prng(`big${i}`, 4 * 1024 * 1024));
    for (const [n, delayMs] of [20, 100, 250].entries()) {
      const a = `${tmp.path}/a${n}`;
      const b = `${tmp.path}/b${n}`;
      const cp = `${tmp.path}/cp${n}.json`;
      baton(['init', '--drive', a, '--kind', 'tape', '--volume-size', String(10 * 1024 * 1024)]);
      baton(['init', '--drive', b, '--content-key-from', a]);
      const child = spawn(
        process.execPath,
        [
          MAIN,
          'repo',
          'backup',
          '--drive',
          a,
          '--no-cache',
          '--checkpoint-file',
          cp,
          '--checkpoint-bytes',
          '1000000',
          // 48 MiB at 24 MiB/s: still running 250 ms after its first checkpoint on any machine
          '--bandwidth-limit',
          String(24 * 1024 * 1024),
          src,
        ],
        { env: { ...process.env, BATON_PASSWORD: 'pw' }, stdio: 'ignore' },
      );
      const exited = new Promise<string | null>((res) => child.on('exit', (_code, signal) => res(signal)));
      // wait for the first checkpoint, then kill at a chosen point after it
      const t0 = Date.now();
      while (!existsSync(cp) && Date.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL', `the backup was still running ${delayMs} ms after its first checkpoint`);
      assert.ok(existsSync(cp), 'a checkpoint was written before the kill');
      const r = baton(['backup', '--drive', b, '--drive', a, '--no-cache', '--resume', cp]);
      assert.equal(r.code, 0, r.err);
      const id = r.out.trim();
      const out = `${tmp.path}/out${n}`;
      const rr = baton(['restore', '--drive', b, id, '--target', out]);
      assert.equal(rr.code, 0, rr.err);
      assert.deepEqual(compareTrees(src, out), [], `kill after ${delayMs} ms`);
    }
  } finally {
    tmp.cleanup();
  }
});

void test('CLI: a real tree (/usr/share/doc) round-trips byte for byte with metadata', (t) => {
  const real = process.env.BATON_REAL_TREE ?? '/usr/share/doc';
  if (!existsSync(real)) {
    t.skip(`${real} is not there`);
    return;
  }
  const tmp = tempDir();
  try {
    const drive = `${tmp.path}/drive`;
    assert.equal(baton(['init', '--drive', drive]).code, 0);
    const b = baton(['backup', '--drive', drive, '--no-cache', real]);
    assert.equal(b.code, 0, b.err);
    const r = baton(['restore', '--drive', drive, b.out.trim(), '--target', `${tmp.path}/out`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(compareTrees(real, `${tmp.path}/out`), []);
    assert.equal(baton(['verify', '--drive', drive, '--read-data']).code, 0);
  } finally {
    tmp.cleanup();
  }
});
