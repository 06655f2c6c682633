/**
 * `npm run bench:failover`: starts `baton demo` in a temp dir, runs every drill five times (BATON_BENCH_RUNS)
 * against it (round robin), and writes the measured failover figures (median and max) with the
 * machine they came from into docs/benchmarks.md between the failover markers. Exit 1 when a
 * drill failed; the figures of the runs that passed are still written, and the failures listed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, type as osType, release } from 'node:os';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { loadConfig, type BatonConfig } from '../../src/config/load';
import { BATON_BIN } from '../../src/demo/node-processes';
import { DRILL_APP } from '../../src/demo/demo-files';
import type { DrillReport } from '../../src/drill/report';
import { runDrill } from '../../src/drill/run-drill';
import { SCENARIOS, type Scenario } from '../../src/drill/scenario-names';
import { median } from '../../src/drill/timings';
import { figureTable, runTable, spliceSection, timingTable, type Figure, type RunRow } from './markdown';

const RUNS = Number(process.env.BATON_BENCH_RUNS ?? 5);
const DOC = resolve(__dirname, '..', '..', '..', 'docs', 'benchmarks.md');

function say(line: string): void {
  console.log(`bench:failover: ${line}`);
}

async function startDemo(dir: string) {
  let out = '';
  const demo = spawn(process.execPath, [BATON_BIN, 'demo', '--dir', dir, '--port', '0', '--ui-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
  demo.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
  const deadline = Date.now() + 180_000;
  while (!/backup succeeded/.test(out)) {
    if (demo.exitCode !== null) throw new Error(`baton demo exited early:\n${out}`);
    if (Date.now() > deadline) throw new Error(`baton demo did not back up within 180 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    async stop(): Promise<number | null> {
      demo.kill('SIGINT');
      return exited;
    },
  };
}

function stats(figure: Figure) {
  return { figure, median: median(figure.values), max: Math.max(...figure.values) };
}

interface Outcome {
  /** the drills that passed: the figures come from these */
  reports: DrillReport[];
  runs: RunRow[];
  failures: string[];
}

function runRow(scenario: Scenario, run: number, r: DrillReport): RunRow {
  return {
    scenario,
    run,
    ok: r.ok,
    attempts: r.attempts.map((a) => `${a.node}: ${a.outcome ?? 'running'}`).join(', '),
    detection: r.timings.fault_to_detection,
    reroute: r.timings.to_reroute,
    writing: r.timings.to_writing_again,
    resumed: r.timings.to_resumed_writing,
    reread: r.reread_bytes,
    note: [
      r.coordinator
        ? `coordinator ${r.coordinator.host_before} -> ${r.coordinator.host_after}${r.coordinator.stayed_on_restarted_node ? ' (stayed, restarted)' : ''}`
        : '',
      ...r.notes,
      r.ok ? '' : (r.reason ?? ''),
    ]
      .filter(Boolean)
      .join('; '),
  };
}

/** Every drill RUNS times, round robin, against the demo; the demo is stopped in the end either way. */
async function runDrills(configFile: string, demo: { stop(): Promise<number | null> }): Promise<Outcome> {
  const out: Outcome = { reports: [], runs: [], failures: [] };
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const scenario of SCENARIOS) {
        const r = await runDrill({ scenario, configFile, app: DRILL_APP });
        say(
          `${scenario} run ${run}: ${r.ok ? 'ok' : `FAILED (${r.reason})`}; ` +
            `timings ${JSON.stringify(r.timings)}, reread ${r.reread_bytes} B`,
        );
        out.runs.push(runRow(scenario, run, r));
        if (r.ok) out.reports.push(r);
        else out.failures.push(`${scenario} run ${run}: ${r.reason}`);
      }
    }
  } finally {
    const code = await demo.stop();
    if (code !== 0) out.failures.push(`baton demo exited with ${code} on SIGINT`);
  }
  return out;
}

/** The drill app's checkpoint interval, read rate, and the bytes one interval reads. */
function drillApp(config: BatonConfig) {
  const app = config.plan.apps.find((a) => a.name === DRILL_APP);
  const interval = config.plan.jobs.checkpointEverySeconds;
  const rate = app?.bandwidthLimitBytesPerSecond ?? 0;
  return { app, interval, rate, intervalBytes: interval * rate };
}

const num = (v: number | null) => (v === null ? [] : [v]);

/** The figures the failover goals (issue 16) are about, each with its goal and whether every run met it. */
function headlineFigures(reports: DrillReport[], config: BatonConfig): Figure[] {
  const { interval, rate, intervalBytes } = drillApp(config);
  const heartbeat = config.plan.jobs.heartbeatTimeoutSeconds;
  const of = (s: string, k: keyof DrillReport['timings']) =>
    reports.filter((r) => r.scenario === s).flatMap((r) => num(r.timings[k]));
  const reread = reports.filter((r) => r.attempts.length > 1).map((r) => r.reread_bytes);
  const figure = (what: string, values: number[], goal: number): Figure => ({
    what,
    unit: 's',
    values,
    goal: `<= ${goal} s`,
    met: values.every((v) => v <= goal),
  });
  return [
    figure(
      'app move -> writing again on the new node (app-failover `to_writing_again`)',
      of('app-failover', 'to_writing_again'),
      3,
    ),
    figure(
      'coordinator-host kill -> coordinator acting (coordinator-failover `fault_to_detection`)',
      of('coordinator-failover', 'fault_to_detection'),
      3,
    ),
    figure(
      `node death -> writing again (node-failure \`to_writing_again\`; heartbeat timeout ${heartbeat} s + 3 s)`,
      of('node-failure', 'to_writing_again'),
      heartbeat + 3,
    ),
    figure('app move -> job running on the new node (app-failover `to_reroute`)', of('app-failover', 'to_reroute'), 10),
    {
      what: 'data re-read after a checkpoint restart (app-failover, node-failure, fencing `reread_bytes`)',
      unit: 'bytes',
      values: reread,
      goal: `<= one checkpoint interval's worth: ${interval} s x ${rate} B/s = ${intervalBytes} B`,
      met: reread.every((v) => v <= intervalBytes),
    },
  ].filter((f) => f.values.length > 0) as Figure[];
}

/** Every timing of every scenario, with its median and max. */
function perScenarioTimings(reports: DrillReport[]) {
  return SCENARIOS.flatMap((s) =>
    (['fault_to_detection', 'to_reroute', 'to_writing_again', 'to_resumed_writing'] as const).map((k) => {
      const values = reports.filter((r) => r.scenario === s).flatMap((r) => num(r.timings[k]));
      return { what: `${s} \`${k}\``, values, median: values.length ? median(values) : 0, max: Math.max(...values) };
    }),
  ).filter((f) => f.values.length > 0);
}

function sectionText(o: Outcome, config: BatonConfig, load: { before: number; after: number }): string {
  const { app, interval, rate } = drillApp(config);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    '## Failover',
    '',
    `Measured ${new Date().toISOString()} with \`npm run bench:failover\` (bench/failover/run.ts): \`baton demo\` ` +
      `on this machine, then every \`baton drill\` ${RUNS} times, round robin, against app ${DRILL_APP} ` +
      `(${app?.paths.length ?? 0} path, read at most ${rate} B/s; heartbeat timeout ` +
      `${config.plan.jobs.heartbeatTimeoutSeconds} s, checkpoint every ${interval} s). Definitions: docs/drills.md.`,
    '',
    `Machine: ${availableParallelism()} CPUs (nproc) ${cpu}, ${osType()} ${release()}, Node.js ${process.version}; ` +
      `1-minute load average ${load.before.toFixed(2)} before the drills and ${load.after.toFixed(2)} after ` +
      '(the machine is shared: other work may have run at the same time).',
    '',
    figureTable(headlineFigures(o.reports, config).map(stats)),
    '',
    'Every timing per scenario, in seconds from the fault:',
    '',
    timingTable(perScenarioTimings(o.reports)),
    '',
    'Every run:',
    '',
    runTable(o.runs),
    '',
    o.failures.length === 0
      ? `All ${o.reports.length} drills passed (one snapshot each, restored byte for byte).`
      : `Failed drills (not in the figures):\n\n${o.failures.map((f) => `- ${f}`).join('\n')}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const dir = join(mkdtempSync(join(tmpdir(), 'baton-bench-failover-')), '.baton');
  const configFile = join(dir, 'baton.yaml');
  say(`starting baton demo under ${dir}`);
  const demo = await startDemo(dir);
  const loadBefore = loadavg()[0];
  const outcome = await runDrills(configFile, demo);
  const config = loadConfig(configFile);
  const section = sectionText(outcome, config, { before: loadBefore, after: loadavg()[0] });
  const before = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
  // Formatted as `npm run lint` (prettier --check) expects.
  const options = (await resolveConfig(DOC)) ?? {};
  writeFileSync(DOC, await format(spliceSection(before, section), { ...options, parser: 'markdown' }));
  say(`wrote the Failover section of ${DOC}`);
  console.log(section);
  return outcome.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
