/**
 * One drill against a running demo cluster: preflight (coordinator answers, app known and placed,
 * node processes here), a backup of the app, a fault once a checkpoint exists, the job's end, a
 * restore compared byte for byte with the source, and the cluster put back as it was found.
 * Returns the report; throws UserError only for preflight problems (nothing changed yet).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { connect } from '../client/connect';
import { UserError } from '../model/errors';
import { coordinatorStatus, requestBackup } from '../client/coordinator-client';
import { attemptsOf, latestCheckpoint } from '../catalog/attempts';
import { clusterEvents, getJob, jobEvents } from '../catalog/jobs';
import { openCatalog, type Catalog } from '../catalog/open';
import { loadConfig, repositoryPassword, type BatonConfig } from '../config/load';
import type { StartedBackup } from '../model/backup';
import type { AppSpec } from '../model/plan';
import type { BackupJobResult } from '../model/backup';
import {
  changeMap,
  moveApp,
  otherOnlineNode,
  readMap,
  requirePid,
  signalNode,
  waitForRestart,
} from '../demo/cluster-control';
import { compareTrees } from './compare-trees';
import { expectationProblems } from './expectations';
import { ProgressWatch } from './progress-watch';
import type { DrillAttempt, DrillReport } from './report';
import { committedSnapshots, restoreJobSnapshot } from './restore';
import type { Scenario } from './scenarios';
import { computeTimings, rereadBytes } from './timings';
import { waitFor } from '../util/wait';

export interface DrillOptions {
  scenario: Scenario;
  configFile: string;
  app: string;
  /** Step-by-step lines for a person watching; not called with --json. */
  log?: (line: string) => void;
  /** Upper bound for the job to end after the fault. */
  jobTimeoutMs?: number;
}

interface Ctx {
  opts: DrillOptions;
  config: BatonConfig;
  app: AppSpec;
  client: Client;
  catalog: Catalog;
  say: (line: string) => void;
}

export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  if (!existsSync(opts.configFile)) {
    throw new UserError(
      `no cluster config at ${opts.configFile}; start the demo with \`npm run demo\` in another terminal ` +
        '(it writes .baton/baton.yaml), or pass --config FILE',
    );
  }
  const config = loadConfig(opts.configFile);
  const app = config.plan.apps.find((a) => a.name === opts.app);
  if (!app) {
    throw new UserError(
      `unknown app "${opts.app}"; apps in ${config.file}: ${config.plan.apps.map((a) => a.name).join(', ')} ` +
        '(pick one with --app)',
    );
  }
  readMap(config);
  const { client, close } = await connect(config);
  const catalog = await openCatalog(config.catalogUrl);
  try {
    return await drill({ opts, config, app, client, catalog, say: opts.log ?? (() => undefined) });
  } finally {
    await close();
    await catalog.destroy();
  }
}

async function waitPlaced(c: Ctx, node: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `the coordinator to see ${c.app.name} on ${node}`,
    async () => (await coordinatorStatus(c.client, c.config.cluster)).hosts[c.app.name] === node,
    timeoutMs,
    250,
  );
}

/** The `from` host of a coordinator-failover event (its data), so an older move is not taken for this one. */
function movedFrom(dataJson: string | null): string | null {
  try {
    return (JSON.parse(dataJson ?? 'null') as { from?: string } | null)?.from ?? null;
  } catch {
    return null;
  }
}

async function jobResult(c: Ctx, jobId: string, timeoutMs: number): Promise<BackupJobResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      c.client.workflow.getHandle(jobId).result() as Promise<BackupJobResult>,
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new Error(`job ${jobId} did not end within ${timeoutMs / 1000} s of the fault`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      return { jobId, app: c.app.name, node: '', drive: '', state: 'failed', error: err.cause?.message ?? err.message };
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function drill(c: Ctx): Promise<DrillReport> {
  const { config, app, opts, say } = c;
  const scenario = opts.scenario;
  const status = await coordinatorStatus(c.client, config.cluster);
  for (const n of config.plan.nodes) requirePid(config, n.name);
  const home = readMap(config).apps[app.name] ?? null;
  if (!home || readMap(config).nodes[home] !== 'online') {
    throw new UserError(
      `${app.name} is not placed on an online node in the cluster map; place it with \`baton cluster move ${app.name} <node>\``,
    );
  }
  await waitPlaced(c, home);
  say(`${app.name} runs on ${home}; coordinator on ${status.host ?? 'no node yet'}`);

  const cleanup: string[] = [];
  const problems: string[] = [];
  let appNode = home;
  let coordinatorBefore: string | null = null;
  if (scenario === 'coordinator-failover') {
    coordinatorBefore = (await coordinatorStatus(c.client, config.cluster)).host;
    if (!coordinatorBefore)
      throw new UserError('the coordinator has not reported its host yet; try again in a few seconds');
    if (coordinatorBefore === home) {
      const to = otherOnlineNode(readMap(config), [home]);
      if (!to) throw new UserError(`no other online node to move ${app.name} to; bring one online first`);
      moveApp(config, app.name, to);
      await waitPlaced(c, to);
      appNode = to;
      say(`moved ${app.name} off the coordinator's host ${home} to ${to} first`);
    }
  }
  const target = otherOnlineNode(readMap(config), [appNode, coordinatorBefore]);
  if (!target && scenario !== 'coordinator-failover') {
    throw new UserError(`no other online node to fail ${app.name} over to; bring one online first`);
  }

  let started: StartedBackup;
  try {
    // Full: a drill re-runs unchanged data, and a cached backup would end before the fault.
    started = await requestBackup(c.client, config.cluster, app.name, `drill:${scenario}`, true);
  } catch (err) {
    // Refused (a backup of the app already running...): undo the pre-move, change nothing.
    if (appNode !== home) moveApp(config, app.name, home);
    throw err;
  }
  const jobId = started.jobId;
  say(`backup ${jobId} started on ${started.node} to drive ${started.drive}`);
  const watch = new ProgressWatch(c.client, jobId).start();

  let fault: DrillReport['fault'] | null = null;
  let faultAtMs = 0;
  let movedTo: string | null = null;
  let killed: { node: string; pid: number } | null = null;
  let failoverEvent: { at: string; node: string | null; message: string } | null = null;
  let fencedEvent: DrillReport['fenced_event'] = null;
  let result: BackupJobResult | null = null;
  const jobTimeoutMs = opts.jobTimeoutMs ?? 180_000;
  try {
    const cp = await waitFor('a first checkpoint of the job', () => latestCheckpoint(c.catalog, jobId), 60_000);
    say(`checkpoint ${cp.seq}: ${cp.files} files, ${cp.bytes} bytes durable on ${cp.node}`);
    // Restart faults land between checkpoints: wait for the attempt to report reading past this
    // one. A coordinator failover strikes at once, so the coordinator acts while the job still runs.
    if (scenario !== 'coordinator-failover') {
      await waitFor(
        'the attempt to report progress past its checkpoint',
        async () => {
          await watch.poll();
          return (watch.maxBytes() ?? 0) > cp.bytes;
        },
        (config.plan.jobs.checkpointEverySeconds + 3) * 1000,
      ).catch(() => say('no progress report past the checkpoint yet; injecting the fault anyway'));
    }
    const faultNode = started.node;

    switch (scenario) {
      case 'app-failover': {
        faultAtMs = Date.now();
        moveApp(config, app.name, target ?? '');
        movedTo = target;
        fault = {
          kind: 'app-move',
          node: faultNode,
          pid: null,
          at: new Date(faultAtMs).toISOString(),
          detail: `moved ${app.name} from ${faultNode} to ${target} in the static cluster map`,
        };
        say(fault.detail);
        result = await jobResult(c, jobId, jobTimeoutMs);
        break;
      }
      case 'node-failure': {
        faultAtMs = Date.now();
        const pid = signalNode(config, faultNode, 'SIGKILL');
        killed = { node: faultNode, pid };
        changeMap(config, (m) => (m.nodes[faultNode] = 'offline'));
        fault = {
          kind: 'sigkill-node',
          node: faultNode,
          pid,
          at: new Date(faultAtMs).toISOString(),
          detail: `SIGKILL to ${faultNode} (pid ${pid}), marked offline in the static cluster map`,
        };
        say(fault.detail);
        const ended = await waitFor(
          'attempt 1 to end (heartbeat timeout)',
          async () => (await attemptsOf(c.catalog, jobId)).find((a) => a.number === 1 && a.ended_at),
          60_000 + config.plan.jobs.heartbeatTimeoutSeconds * 1000,
        );
        say(`attempt 1 ended ${ended.outcome}; placing ${app.name} on ${target}, as the HA stack would`);
        moveApp(config, app.name, target ?? '');
        movedTo = target;
        result = await jobResult(c, jobId, jobTimeoutMs);
        break;
      }
      case 'coordinator-failover': {
        const host = (await coordinatorStatus(c.client, config.cluster)).host;
        if (!host || host === faultNode) {
          problems.push(
            `the coordinator moved onto ${host ?? 'no node'} (the app's node) before the fault; run the drill again`,
          );
          result = await jobResult(c, jobId, jobTimeoutMs);
          break;
        }
        coordinatorBefore = host;
        const seen = new Set(
          (await clusterEvents(c.catalog, config.cluster, 200))
            .filter((e) => e.kind === 'coordinator-failover')
            .map((e) => e.id),
        );
        faultAtMs = Date.now();
        const pid = signalNode(config, host, 'SIGKILL');
        killed = { node: host, pid };
        fault = {
          kind: 'sigkill-coordinator-host',
          node: host,
          pid,
          at: new Date(faultAtMs).toISOString(),
          detail: `SIGKILL to ${host} (pid ${pid}), the coordinator's host; ${app.name} runs on ${faultNode}`,
        };
        say(fault.detail);
        const ev = await waitFor(
          'a coordinator-failover event in the catalog',
          async () =>
            (await clusterEvents(c.catalog, config.cluster, 200)).find(
              (e) => e.kind === 'coordinator-failover' && !seen.has(e.id) && movedFrom(e.data_json) === host,
            ),
          60_000,
        );
        failoverEvent = { at: ev.at, node: ev.node, message: ev.message };
        say(`coordinator acting again: ${ev.message}`);
        result = await jobResult(c, jobId, jobTimeoutMs);
        break;
      }
      case 'fencing': {
        faultAtMs = Date.now();
        const pid = signalNode(config, faultNode, 'SIGSTOP');
        fault = {
          kind: 'sigstop-node',
          node: faultNode,
          pid,
          at: new Date(faultAtMs).toISOString(),
          detail: `SIGSTOP to ${faultNode} (pid ${pid}), then moved ${app.name} to ${target}`,
        };
        // Interrupted while the node is stopped: wake it before exiting, never leave it frozen.
        const wake = (signal: NodeJS.Signals) => {
          process.kill(pid, 'SIGCONT');
          process.exit(signal === 'SIGINT' ? 130 : 143);
        };
        process.once('SIGINT', wake).once('SIGTERM', wake);
        try {
          moveApp(config, app.name, target ?? '');
          movedTo = target;
          say(fault.detail);
          result = await jobResult(c, jobId, jobTimeoutMs);
        } finally {
          process.off('SIGINT', wake).off('SIGTERM', wake);
          process.kill(pid, 'SIGCONT');
          say(`SIGCONT to ${faultNode} (pid ${pid}); waiting for its late write to be fenced`);
        }
        try {
          const ev = await waitFor(
            'the woken node to be fenced (write-fenced event)',
            async () => (await jobEvents(c.catalog, jobId)).find((e) => e.kind === 'write-fenced'),
            30_000,
          );
          fencedEvent = { node: ev.node, at: ev.at, message: ev.message };
        } catch (err) {
          problems.push((err as Error).message);
        }
        break;
      }
    }
  } catch (err) {
    // Past this point the cluster has been changed: report the problem and still clean up.
    problems.push((err as Error).message);
  } finally {
    watch.stop();
  }

  // Leave the cluster as the drill found it.
  try {
    if (killed) {
      const pid = await waitForRestart(config, killed.node, killed.pid);
      cleanup.push(`${killed.node} is back (pid ${pid}, restarted by the demo's supervisor)`);
      if (scenario === 'node-failure') {
        changeMap(config, (m) => (m.nodes[killed?.node ?? ''] = 'online'));
        cleanup.push(`${killed.node} marked online in the cluster map`);
      }
    }
    if (readMap(config).apps[app.name] !== home) {
      moveApp(config, app.name, home);
      await waitPlaced(c, home);
      cleanup.push(`${app.name} moved back to ${home}`);
    }
  } catch (err) {
    problems.push(`could not put the cluster back as it was: ${(err as Error).message}`);
  }

  const report = await gather(c, {
    scenario,
    jobId,
    fault,
    faultAtMs,
    result,
    watch,
    failoverEvent,
    fencedEvent,
    coordinatorBefore,
    cleanup,
    problems,
  });
  const ex = expectationProblems(scenario, {
    attempts: report.attempts,
    faultNode: fault?.node ?? started.node,
    movedTo,
    coordinatorHostAfter: report.coordinator?.host_after ?? null,
    fencedNode: fencedEvent?.node ?? null,
  });
  problems.push(...ex);
  report.ok = problems.length === 0;
  report.reason = report.ok ? null : problems.join('; ');
  return report;
}

interface Gathered {
  scenario: Scenario;
  jobId: string;
  fault: DrillReport['fault'] | null;
  faultAtMs: number;
  result: BackupJobResult | null;
  watch: ProgressWatch;
  failoverEvent: { at: string; node: string | null; message: string } | null;
  fencedEvent: DrillReport['fenced_event'];
  coordinatorBefore: string | null;
  cleanup: string[];
  problems: string[];
}

/** Reads the catalog's record of the job, restores its snapshot, and builds the report. */
async function gather(c: Ctx, g: Gathered): Promise<DrillReport> {
  const { config, app } = c;
  const rows = await attemptsOf(c.catalog, g.jobId);
  const attempts: DrillAttempt[] = rows.map((a) => ({
    number: a.number,
    node: a.node,
    drive: a.drive,
    epoch: a.epoch,
    outcome: a.outcome,
    started_at: a.started_at,
    ended_at: a.ended_at,
    restart: a.restart_kind ? { kind: a.restart_kind, reason: a.restart_reason ?? '' } : null,
  }));
  const checkpoints = await c.catalog
    .selectFrom('checkpoints')
    .select(['epoch', 'at'])
    .where('job_id', '=', g.jobId)
    .execute();
  const events = await jobEvents(c.catalog, g.jobId);
  const job = await getJob(c.catalog, g.jobId);
  const failoverMs = g.failoverEvent ? Date.parse(g.failoverEvent.at) : null;
  const reconciled =
    failoverMs === null
      ? undefined
      : events.find((e) => e.kind === 'coordinator-reconciled' && Date.parse(e.at) >= failoverMs);
  const timings = g.fault
    ? computeTimings({
        scenario: g.scenario,
        faultAtMs: g.faultAtMs,
        attempts: rows,
        checkpoints,
        coordinatorFailoverAt: g.failoverEvent?.at ?? null,
        reconciledAt: reconciled?.at ?? null,
        jobFinishedAt: job?.finished_at ?? null,
      })
    : { fault_to_detection: null, to_reroute: null, to_resumed_writing: null };

  const first = rows.find((a) => a.number === 1);
  const second = rows.find((a) => a.number === 2);
  const lastProgress = first ? g.watch.lastBytes(first.epoch) : null;
  const resumedFrom = second?.resumed_from_json
    ? (JSON.parse(second.resumed_from_json) as { bytes: number }).bytes
    : second
      ? 0
      : null;

  const result = g.result;
  const drivePath = config.plan.drives.find((d) => d.name === result?.drive)?.path ?? null;
  const commits = await committedSnapshots(c.catalog, g.jobId);
  let restore: DrillReport['restore'] = null;
  let identical = false;
  if (result?.state === 'succeeded') {
    const target = await mkdtemp(join(tmpdir(), 'baton-drill-restore-'));
    try {
      const restored = await restoreJobSnapshot(result, target, app.paths, repositoryPassword(config));
      let difference: string | null = null;
      let files = 0;
      let bytes = 0;
      for (const [i, source] of app.paths.entries()) {
        const cmp = await compareTrees(source, restored.roots[i]);
        files += cmp.files;
        bytes += cmp.bytes;
        difference ??= cmp.difference;
      }
      restore = { files, bytes, difference };
      identical = difference === null;
      if (difference) g.problems.push(`restore differs from the source: ${difference}`);
    } catch (err) {
      g.problems.push(`restore failed: ${(err as Error).message}`);
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  } else {
    g.problems.push(result ? `job ${result.state}${result.error ? `: ${result.error}` : ''}` : 'the job did not end');
  }
  if (result?.state === 'succeeded' && commits.length !== 1) {
    g.problems.push(`expected one committed snapshot, found ${commits.length}: ${commits.join(', ')}`);
  }
  const notes: string[] = [];
  if (g.failoverEvent && job?.finished_at && job.finished_at < g.failoverEvent.at) {
    notes.push(
      `the job ended (${job.finished_at}) before the coordinator acted on its new host (${g.failoverEvent.at}): ` +
        'there was no running job to reconcile, so to_reroute and to_resumed_writing are null',
    );
  }
  let hostAfter: string | null = null;
  if (g.scenario === 'coordinator-failover') {
    hostAfter = g.failoverEvent?.node ?? (await coordinatorStatus(c.client, config.cluster)).host;
  }

  return {
    scenario: g.scenario,
    app: app.name,
    job: g.jobId,
    ok: false,
    reason: null,
    fault: g.fault ?? { kind: 'none', node: '', pid: null, at: '', detail: 'no fault was injected' },
    job_state: result?.state ?? job?.state ?? 'unknown',
    attempts,
    snapshot: result?.outcome?.snapshotId ?? null,
    drive: drivePath,
    source: app.paths.join(', '),
    timings,
    reread_bytes: rereadBytes(lastProgress, resumedFrom, second !== undefined),
    reread_basis: { last_progress_bytes: lastProgress, resumed_from_bytes: resumedFrom },
    checkpoint_interval_s: config.plan.jobs.checkpointEverySeconds,
    restore_identical: identical,
    restore,
    commits: commits.length,
    coordinator:
      g.scenario === 'coordinator-failover' ? { host_before: g.coordinatorBefore, host_after: hostAfter } : null,
    fenced_event: g.fencedEvent,
    cleanup: g.cleanup,
    notes,
  };
}
