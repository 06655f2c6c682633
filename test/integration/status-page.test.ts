/**
 * `baton status --serve` in a real browser: `baton demo` (a dev server, three node processes, the
 * coordinator), the status page served by a `baton status --serve` process, and headless Chromium
 * reading it. A rate-limited backup of the drill app runs on node-1; `baton cluster move` fails the
 * app over to node-3; the page, after its script polled /status.json, shows the job on node-3,
 * the coordinator's host and every node. A second server on the same address exits 1 with one
 * line; with the coordinator terminated the page answers 503 and says why; SIGTERM stops it. BATON_STATUS_PAGE_SCREENSHOT=<file> keeps the screenshot
 * (docs/images/status-page.png was taken so).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config/load';
import { DEMO_CLUSTER, DRILL_APP, DRILL_APP_HOST } from '../../src/demo/demo-files';
import { coordinatorWorkflowId } from '../../src/model/names';
import { BATON_BIN } from '../../src/demo/node-processes';
import { freePort } from '../../src/devtools/dev-server';
import { dumpDom, screenshot } from '../helpers/chromium';
import { secondNodeSkip } from '../helpers/first-node';
import { DemoProcess } from '../helpers/demo-process';
import { tempDir } from '../helpers/temp';

const NEW_HOST = 'node-3';
const NEW_ATTEMPT = /; epoch ([2-9]|\d\d+)$/;

interface Watched {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Watched {
  const child = spawn(process.execPath, [BATON_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(w: Watched | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!w || w.child.exitCode !== null) return;
  w.child.kill(signal);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), 30_000);
  await w.exited;
  clearTimeout(timer);
}

interface RunningRow {
  jobId: string;
  app: string;
  node: string;
  progress: string | null;
}

describe(
  'the status page in headless Chromium during an app failover',
  { timeout: 240_000, skip: secondNodeSkip() },
  () => {
    const tmp = tempDir('baton-status-page-');
    let demo: DemoProcess | undefined;
    let config = '';
    let page: Watched | undefined;
    let base = '';

    const running = async (): Promise<RunningRow[]> => {
      const r = await fetch(`${base}/status.json`).catch(() => null);
      const s = r ? ((await r.json()) as { ok: boolean; data?: { running: RunningRow[] } }) : null;
      return s?.ok ? (s.data?.running ?? []) : [];
    };

    before(async () => {
      demo = new DemoProcess('status-page');
      config = demo.configFile;
      const webUi = /see it in the Web UI: (http:\/\/[^/\s]+)/;
      await demo.waitFor(webUi);
      const ui = webUi.exec(demo.output)?.[1] ?? '';
      const listen = `127.0.0.1:${await freePort()}`;
      page = start(['status', '--config', config, '--serve', listen, '--web-ui-url', ui]);
      base = `http://${listen}`;
      await until('the status page listens', 30_000, () =>
        /status page of cluster/.test(page?.out() ?? '') ? true : undefined,
      );
    });
    after(async () => {
      await stop(page, 'SIGTERM');
      await demo?.stop();
      tmp.cleanup();
    });

    test('the page shows the failed-over job on its new node, the coordinator host and the nodes', async () => {
      const started = spawnSync(process.execPath, [BATON_BIN, 'backup', DRILL_APP, '--config', config], {
        encoding: 'utf8',
      });
      assert.equal(started.status, 0, started.stdout + started.stderr);
      const jobId = /started (\S+) on /.exec(started.stdout)?.[1] ?? '';
      await until('the backup reports progress on its first node', 60_000, async () =>
        (await running()).find((j) => j.jobId === jobId && j.node === DRILL_APP_HOST && j.progress) ? true : undefined,
      );
      const moved = spawnSync(
        process.execPath,
        [BATON_BIN, 'cluster', 'move', DRILL_APP, NEW_HOST, '--config', config],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(moved.status, 0, moved.stdout + moved.stderr);
      const t0 = Date.now();
      const row = await until('the job runs with progress on its new node', 90_000, async () =>
        // the new attempt's own heartbeat: the catalog issued it a newer epoch than the first attempt's 1
        (await running()).find((j) => j.jobId === jobId && j.node === NEW_HOST && NEW_ATTEMPT.test(j.progress ?? '')),
      ).catch(async (err: Error) => {
        // seen once in a CI rehearsal and not since: say what the page and the cluster showed
        const job = spawnSync(process.execPath, [BATON_BIN, 'job', jobId, '--config', config], { encoding: 'utf8' });
        throw new Error(
          `${err.message}\nrunning: ${JSON.stringify(await running())}\nbaton job: ${job.stdout}${job.stderr}\n` +
            `the demo's last output:\n${demo?.output.slice(-6000) ?? ''}`,
        );
      });
      console.log(`job on ${NEW_HOST} with progress ${Date.now() - t0} ms after the move: ${row.progress}`);

      const dom = await dumpDom(`${base}/`);
      const jobRow = new RegExp(
        `<tr><td><a href="[^"]*/workflows/${jobId}">${jobId}</a></td><td>${DRILL_APP}</td><td>${NEW_HOST}</td><td>${NEW_HOST}-disk</td><td>[^<]*; epoch ([2-9]|\\d\\d+)</td>`,
      );
      assert.match(dom, jobRow, dom);
      assert.match(dom, /<body data-polls="[1-9]\d*">/, "the page's script polled /status.json");
      assert.match(dom, /on <b id="host">node-\d<\/b>/);
      for (const n of ['node-1', 'node-2', 'node-3']) assert.match(dom, new RegExp(`<tr><td>${n}</td>`));
      assert.match(dom, new RegExp(`<tr><td>${DRILL_APP}</td><td>${NEW_HOST}</td>`), 'the app on its new host');

      const png = join(tmp.path, 'status-page.png');
      await screenshot(`${base}/`, png);
      assert.equal(readFileSync(png).subarray(1, 4).toString(), 'PNG');
      if (process.env.BATON_STATUS_PAGE_SCREENSHOT) copyFileSync(png, process.env.BATON_STATUS_PAGE_SCREENSHOT);
    });

    test('read-only; a busy address is one line and exit 1; a terminated coordinator is 503 with why; SIGTERM stops it', async () => {
      assert.equal((await fetch(`${base}/`, { method: 'DELETE' })).status, 405);
      const address = base.replace('http://', '');
      const busy = spawnSync(process.execPath, [BATON_BIN, 'status', '--config', config, '--serve', address], {
        encoding: 'utf8',
      });
      assert.equal(busy.status, 1, busy.stdout + busy.stderr);
      assert.equal(
        busy.stderr.trim(),
        `baton: status page address ${address} is already in use; stop what listens there, or give another address with \`baton status --serve HOST:PORT\``,
      );
      const { address: temporal } = loadConfig(config).temporal;
      const connection = await Connection.connect({ address: temporal });
      try {
        await new Client({ connection }).workflow
          .getHandle(coordinatorWorkflowId(DEMO_CLUSTER))
          .terminate('status page test');
      } finally {
        await connection.close();
      }
      const gone = await fetch(`${base}/status.json`);
      assert.equal(gone.status, 503);
      const body = (await gone.json()) as { ok: boolean; error: string };
      assert.equal(body.ok, false);
      assert.equal(
        body.error,
        `the coordinator of cluster ${DEMO_CLUSTER} is not running (its workflow is TERMINATED); start it with \`baton apply\``,
      );
      page?.child.kill('SIGTERM');
      assert.equal(await page?.exited, 0, page?.out());
      assert.match(page?.out() ?? '', /status page stopped \(SIGTERM\)/);
    });
  },
);
