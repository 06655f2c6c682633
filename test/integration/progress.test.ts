/**
 * The CLI following real jobs on a real Temporal dev server with three real node processes:
 * `baton backup --wait --json` streams status lines (percent, bytes, node, attempt) then a summary;
 * on a pseudo-terminal (`script -qc`) the live line is rewritten with `\r`; Ctrl-C (a real SIGINT)
 * stops following with exit 130 while the job runs on to success; a move of the app to another node
 * is said as a `node_change` line; bad input exits 1 with one line,
 * and `baton repo` exits 12 for a wrong password and 10 for a path with no repository.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recentJobs } from '../../src/catalog/jobs';
import { readStaticMap, writeStaticMap } from '../../src/cluster/static';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import { DEMO_APP, DEMO_APP_HOST } from '../../src/demo/demo-files';
import { BATON_BIN } from '../../src/demo/node-processes';
import { formatBytes } from '../../src/model/format';
import { baton } from '../helpers/cli';
import { jsonLines, type JsonLine } from '../helpers/json-lines';
import { startLocalCluster, type LocalCluster } from '../helpers/local-cluster';

/** About 10 MiB read at 768 KiB/s: a backup long enough for several polls, and for a move of its app. */
const APP = { appFiles: 40, appFileKiB: 256, appBandwidthLimit: 768 * 1024 };

/** A running `baton` process whose stdout the test reads as it comes. */
function start(args: string[]): { child: ChildProcess; out: () => string; err: () => string; code: Promise<number> } {
  const child = spawn(process.execPath, [BATON_BIN, ...args], { env: { ...process.env, BATON_LOG_PRETTY: '0' } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? -1 : -2))));
  return { child, out: () => out, err: () => err, code };
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statuses = (lines: JsonLine[]) => lines.filter((l) => l.message_type === 'status');

describe('progress, exit codes and Ctrl-C of the CLI on a real cluster', { timeout: 300_000 }, () => {
  let c: LocalCluster;
  /** The first snapshot's counts: the next backups' totals. */
  let first: { files: number; bytes: number };
  const config = (): string[] => ['--config', c.files.configFile];

  before(async () => {
    c = await startLocalCluster({ demo: APP });
    await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
    // a first snapshot, so the next backups have totals (the previous snapshot's size) and a percent
    const started = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'test');
    const end = await followJob(c.client, started.jobId, () => undefined, 500);
    assert.equal(end.state, 'succeeded');
    first = { files: end.outcome?.files ?? 0, bytes: end.outcome?.bytes ?? 0 };
    assert.ok(first.bytes > 8 * 1024 * 1024, JSON.stringify(end.outcome));
  });
  after(async () => c?.stop());

  test('backup --wait --json: started, status lines with percent and bytes, then the summary; exit 0', async () => {
    const p = start(['backup', DEMO_APP, '--wait', '--json', '--full', ...config()]);
    assert.equal(await p.code, 0, p.err());
    const lines = jsonLines(p.out());
    assert.equal(lines[0].message_type, 'started');
    assert.equal(lines[0].node, DEMO_APP_HOST);
    const moving = statuses(lines).filter((s) => (s.bytes_done as number) > 0);
    assert.ok(moving.length >= 1, p.out());
    console.log(
      `backup --wait --json: ${statuses(lines).length} status lines, ${moving.length} with bytes; last: ${JSON.stringify(moving[moving.length - 1])}`,
    );
    for (const s of moving) {
      assert.equal(s.node, DEMO_APP_HOST);
      assert.equal(s.attempt, 1);
      assert.equal(s.total_bytes, first.bytes);
      assert.ok(typeof s.percent_done === 'number' && s.percent_done > 0 && s.percent_done <= 0.99, JSON.stringify(s));
    }
    const summary = lines[lines.length - 1];
    assert.equal(summary.message_type, 'summary');
    assert.equal(summary.state, 'succeeded');
    assert.equal((summary.outcome as { bytes: number }).bytes, first.bytes);
    assert.deepEqual(
      lines.slice(1, -1).map((l) => l.message_type),
      statuses(lines).map(() => 'status'),
    );
  });

  test('on a terminal the live line is rewritten in place with \\r, then the result', () => {
    const command = [process.execPath, BATON_BIN, 'backup', DEMO_APP, '--wait', '--full', ...config()].join(' ');
    // script's pseudo-terminal starts 0 columns wide here (no terminal above it): give it 160
    const r = spawnSync('script', ['-qec', `stty cols 160 rows 40; exec ${command}`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const live = r.stdout.split('\r\x1b[2K').slice(1);
    assert.ok(live.length >= 2, JSON.stringify(r.stdout));
    assert.ok(
      live.some(
        (l) => l.includes(` of ${formatBytes(first.bytes)}, `) && l.endsWith(`on ${DEMO_APP_HOST} (attempt 1)`),
      ),
      JSON.stringify(live),
    );
    assert.match(r.stdout, /^started \S+ on \S+ to \S+\r?$/m);
    assert.ok(
      r.stdout.includes(`\r\x1b[2K`) &&
        r.stdout.includes(
          ` succeeded: ${first.files} files, ${first.bytes} bytes (${formatBytes(first.bytes)}), snapshot `,
        ),
      JSON.stringify(r.stdout),
    );
  });

  test('Ctrl-C while following stops following with exit 130; the job runs on to its end', async () => {
    const p = start(['backup', DEMO_APP, '--wait', '--json', '--full', ...config()]);
    await until('a status line', () => statuses(jsonLines(p.out())).length > 0);
    const jobId = jsonLines(p.out())[0].jobId as string;
    const sentAt = Date.now();
    p.child.kill('SIGINT');
    assert.equal(await p.code, 130, p.err());
    const exitMs = Date.now() - sentAt;
    console.log(`Ctrl-C: the follower exited ${exitMs} ms after SIGINT`);
    assert.ok(exitMs < 5000, `exited ${exitMs} ms after SIGINT`);
    assert.equal(
      p.err(),
      `baton: stopped following ${jobId}; the job keeps running: \`baton job ${jobId}\` shows it, ` +
        `\`baton job cancel ${jobId}\` cancels it\n`,
    );
    assert.ok(!jsonLines(p.out()).some((l) => l.message_type === 'summary'));
    const end = await followJob(c.client, jobId, () => undefined, 500);
    assert.equal(end.state, 'succeeded');
  });

  test('bad input exits 1 with one line and starts nothing', async () => {
    // jobs not started by a schedule: the demo app's hourly one may fire meanwhile
    const asked = async () =>
      (await recentJobs(c.catalog, 100)).filter((j) => !j.requested_by.startsWith('schedule:')).length;
    const jobs = await asked();
    const r = baton(['backup', 'nope', '--wait', '--json', ...config()]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^baton: unknown app "nope"; apps in \S+: .*\n$/);
    assert.equal(await asked(), jobs);
  });

  test('baton repo: a wrong password exits 12, a path with no repository 10, and nothing is written', () => {
    const drive = join(c.dir, 'drives', `${DEMO_APP_HOST}-disk`);
    const listed = baton([
      'repo',
      'snapshots',
      '--drive',
      drive,
      '--json',
      '--password-file',
      join(c.dir, 'repository-password'),
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const id = (JSON.parse(listed.stdout) as { id: string }[])[0].id;
    const target = join(c.dir, 'restored');
    const wrong = baton(['repo', 'restore', '--drive', drive, id, '--target', target], {
      env: { BATON_PASSWORD: 'wrong' },
    });
    assert.equal(wrong.code, 12, wrong.stderr);
    assert.match(wrong.stderr, /^baton repo restore: wrong password for drive \S+: .*BATON_PASSWORD.*\n$/);
    const nowhere = join(c.dir, 'no-drive-here');
    const none = baton(['repo', 'restore', '--drive', nowhere, id, '--target', target], {
      env: { BATON_PASSWORD: 'any' },
    });
    assert.equal(none.code, 10, none.stderr);
    assert.equal(
      none.stderr,
      `baton repo restore: no repository at ${nowhere}: no Baton drive there (no config file), so nothing was read or written. ` +
        `Run \`baton repo init --drive ${nowhere}\` first, or mount the drive's storage if it should be there\n`,
    );
    assert.equal(existsSync(target), false);
    assert.equal(existsSync(nowhere), false);
  });

  test('baton completion bash prints a script that completes `baton re` in bash', () => {
    const r = baton(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    const done = spawnSync(
      'bash',
      ['-c', `${r.stdout}\nCOMP_WORDS=(baton re); COMP_CWORD=1; _baton; echo "\${COMPREPLY[*]}"`],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(done.stdout, 'restore restore-test restore-tests retention repo\n', done.stderr);
    const bad = baton(['completion', 'tcsh']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /value 'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish\./);
  });

  test('the app moves mid-backup: a node_change line, then status lines from the new node', async () => {
    const p = start(['backup', DEMO_APP, '--wait', '--json', '--full', ...config()]);
    await until('a status line with bytes', () =>
      statuses(jsonLines(p.out())).some((s) => (s.bytes_done as number) > 0),
    );
    const to = c.config.plan.nodes.map((n) => n.name).find((n) => n !== DEMO_APP_HOST) ?? '';
    const map = readStaticMap(c.files.mapFile);
    map.apps[DEMO_APP] = to;
    writeStaticMap(c.files.mapFile, map);
    assert.equal(await p.code, 0, p.err());
    const lines = jsonLines(p.out());
    const moved = lines.findIndex((l) => l.message_type === 'node_change');
    assert.ok(moved > 0, p.out());
    assert.deepEqual(lines[moved], { message_type: 'node_change', from: DEMO_APP_HOST, node: to, attempt: 2 });
    console.log(
      `app move: ${lines.map((l) => (l.message_type === 'status' ? `${String(l.node)}:${String(l.bytes_done)}` : l.message_type)).join(' ')}`,
    );
    const after = statuses(lines.slice(moved));
    assert.ok(after.length > 0, p.out());
    for (const s of after) assert.deepEqual([s.node, s.attempt], [to, 2]);
    // only the new attempt's counters: they never go back (an older attempt's would)
    const bytes = after.map((s) => s.bytes_done as number);
    assert.deepEqual(
      bytes,
      [...bytes].sort((a, b) => a - b),
      p.out(),
    );
    const summary = lines[lines.length - 1];
    assert.equal(summary.state, 'succeeded');
    assert.equal(summary.node, to);
    assert.equal((summary.outcome as { drive: string }).drive, join(c.dir, 'drives', `${to}-disk`));
  });
});
