/**
 * A real Prometheus (Debian's `prometheus` package) for integration tests: started on a free port
 * with a temp config and storage dir, scraping the given targets every second; `query` asks its
 * HTTP API; `stop` kills it (SIGTERM, then SIGKILL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/devtools/dev-server';
import { tempDir } from './temp';

export interface PrometheusServer {
  url: string;
  logFile: string;
  /** An instant query's result vector. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/** The prometheus binary, or an error saying how to install it. */
export function prometheusBinary(name: 'prometheus' | 'promtool' = 'prometheus'): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    throw new Error(`${name} is not installed; run \`apt-get install -y prometheus\` (.ci/run does it)`);
  }
  return path;
}

export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const dir = tempDir('baton-prometheus-').path;
  const port = await freePort();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: baton',
      `    static_configs: [{ targets: [${targets.map((t) => `'${t}'`).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'prometheus.log');
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    prometheusBinary(),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', out, out] },
  );
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusServer = {
    url,
    logFile,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: [] }; error?: string };
      if (body.status !== 'success') throw new Error(`prometheus query ${promql} failed: ${body.error}`);
      return body.data.result;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}; see ${logFile}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return server;
    await new Promise((r) => setTimeout(r, 200));
  }
  await server.stop();
  throw new Error(`prometheus did not get ready on ${url} in 20 s; see ${logFile}`);
}
