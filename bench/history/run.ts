/**
 * `npm run bench:history`: a backup slowed by its app's bandwidth limit to run for
 * BATON_BENCH_MINUTES (default 30) on a real dev server with three node processes, and the same
 * backup at full speed before it. Measures the events its job's history gained while the attempt
 * ran and in all, and the coordinator's history meanwhile, and writes them with the bound of
 * docs/restart-policy.md ("History size") into docs/benchmarks.md between the history markers.
 * Exit 1 when the slowed job wrote an event while its attempt ran or ended with more events than
 * the fast one plus 2, the bound the integration test holds for half a minute.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ensureCoordinator, followJob, requestBackup } from '../../src/client/coordinator-client';
import type { BatonConfig } from '../../src/config/load';
import { DEMO_APP } from '../../src/demo/demo-files';
import { coordinatorWorkflowId } from '../../src/model/names';
import { activityWindows, historyOf } from '../../test/helpers/history-growth';
import { startLocalCluster, type LocalCluster } from '../../test/helpers/local-cluster';
import { spliceNamedSection } from '../section';

const MINUTES = Number(process.env.BATON_BENCH_MINUTES ?? 30);
/** 160 files of 256 KiB: 40 MiB, paced to last MINUTES. */
const APP = { appFiles: 160, appFileKiB: 256 };
const APP_BYTES = APP.appFiles * APP.appFileKiB * 1024;
const DOC = resolve(__dirname, '..', '..', '..', 'docs', 'benchmarks.md');

function say(line: string): void {
  console.log(`bench:history: ${line}`);
}

function withLimit(config: BatonConfig, rate: number): BatonConfig {
  const apps = config.plan.apps.map((a) => (a.name === DEMO_APP ? { ...a, bandwidthLimitBytesPerSecond: rate } : a));
  return { ...config, plan: { ...config.plan, apps } };
}

interface Measured {
  fastEvents: number;
  slowEvents: number;
  runningMs: number;
  eventsWhileRunning: number;
  kinds: string[];
  coordinatorEvents: { before: number; after: number };
  /** Runs of the coordinator started while the slowed backup ran (continue-as-new). */
  coordinatorRuns: number;
}

/** How many events the coordinator's current run holds (it continues as new, so this is bounded too). */
async function coordinatorEvents(c: LocalCluster): Promise<number> {
  return (await historyOf(c.client, coordinatorWorkflowId(c.config.cluster))).length;
}

/** How many runs of the coordinator workflow the server lists. */
async function coordinatorRuns(c: LocalCluster): Promise<number> {
  const { count } = await c.client.workflow.count(`WorkflowId = '${coordinatorWorkflowId(c.config.cluster)}'`);
  return count;
}

async function measure(c: LocalCluster): Promise<Measured> {
  await ensureCoordinator(c.client, c.config, { tickSeconds: 1 });
  const fast = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'bench', true);
  const fastResult = await followJob(c.client, fast.jobId, () => undefined, 1000);
  if (fastResult.state !== 'succeeded') throw new Error(`the fast backup ${fastResult.state}: ${fastResult.error}`);
  const fastEvents = (await historyOf(c.client, fast.jobId)).length;
  say(`fast backup: ${fastEvents} events; now the same backup over ${MINUTES} minutes`);

  const rate = Math.ceil(APP_BYTES / (MINUTES * 60));
  await ensureCoordinator(c.client, withLimit(c.config, rate), { tickSeconds: 1 });
  const before = await coordinatorEvents(c);
  const runsBefore = await coordinatorRuns(c);
  const slow = await requestBackup(c.client, c.config.cluster, DEMO_APP, 'bench', true);
  let lastSaid = Date.now();
  const result = await followJob(
    c.client,
    slow.jobId,
    (view) => {
      if (Date.now() - lastSaid < 60_000 || !view.progress) return;
      lastSaid = Date.now();
      say(`${view.progress.bytes} of ${APP_BYTES} bytes`);
    },
    5000,
  );
  if (result.state !== 'succeeded') throw new Error(`the slowed backup ${result.state}: ${result.error}`);
  const events = await historyOf(c.client, slow.jobId);
  const [window] = activityWindows(events, 'backupAttempt');
  return {
    fastEvents,
    slowEvents: events.length,
    runningMs: window.ms,
    eventsWhileRunning: window.events,
    kinds: window.kinds,
    coordinatorEvents: { before, after: await coordinatorEvents(c) },
    coordinatorRuns: (await coordinatorRuns(c)) - runsBefore,
  };
}

function sectionText(m: Measured, ok: boolean): string {
  const minutes = (m.runningMs / 60_000).toFixed(1);
  const perHour = (m.eventsWhileRunning * 3_600_000) / Math.max(m.runningMs, 1);
  return [
    '## History size of a long backup',
    '',
    `Measured ${new Date().toISOString()} with \`npm run bench:history\` (bench/history/run.ts) on ` +
      `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, load average ` +
      `${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end: a dev server, three node processes, the sample app (${APP.appFiles} files, ` +
      `${APP_BYTES / 1024 / 1024} MiB) backed up once at full speed, then again slowed by its bandwidth limit to about ` +
      `${MINUTES} minutes. The bound is docs/restart-policy.md's: no event while the attempt runs, and no more ` +
      'events in all than the same backup at full speed plus 2.',
    '',
    '| figure | measured | bound | met |',
    '| --- | --- | --- | --- |',
    `| the slowed attempt ran | ${minutes} min | | |`,
    `| events while it ran | ${m.eventsWhileRunning} (${perHour.toFixed(1)} an hour)${m.kinds.length ? `: ${m.kinds.join(', ')}` : ''} | 0 | ${m.eventsWhileRunning === 0 ? 'yes' : 'no'} |`,
    `| events of the slowed job | ${m.slowEvents} | ${m.fastEvents} + 2 (the job at full speed: ${m.fastEvents}) | ${m.slowEvents <= m.fastEvents + 2 ? 'yes' : 'no'} |`,
    `| the coordinator's current run, before and after | ${m.coordinatorEvents.before} and ${m.coordinatorEvents.after} events, ${m.coordinatorRuns} new runs meanwhile | continue-as-new at its threshold | |`,
    '',
    ok ? 'Within the bound.' : '**Outside the bound.**',
  ].join('\n');
}

async function main(): Promise<void> {
  const c = await startLocalCluster({ demo: APP });
  let m: Measured;
  try {
    m = await measure(c);
  } finally {
    await c.stop();
  }
  const ok = m.eventsWhileRunning === 0 && m.slowEvents <= m.fastEvents + 2;
  const text = spliceNamedSection(readFileSync(DOC, 'utf8'), 'history', sectionText(m, ok));
  writeFileSync(DOC, await format(text, { ...(await resolveConfig(DOC)), filepath: DOC }));
  say(`${ok ? 'within' : 'OUTSIDE'} the bound; written to ${DOC}`);
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
