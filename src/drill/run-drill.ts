/**
 * One drill against a running demo cluster: preflight (coordinator answers, app known and placed,
 * node processes here), a backup of the app, a fault once a checkpoint exists, the job's end, a
 * restore compared byte for byte with the source, and the cluster put back as it was found.
 * What differs between drills (how each prepares, injects its fault, and what it expects) is in
 * scenarios/; this driver runs any of them. Returns the report; throws UserError only for
 * preflight problems (nothing changed yet).
 */
import { existsSync } from 'node:fs';
import { connect } from '../client/connect';
import { UserError } from '../model/errors';
import { coordinatorStatus, requestBackup } from '../client/coordinator-client';
import { latestCheckpoint } from '../catalog/attempts';
import { openCatalog } from '../catalog/open';
import { loadConfig } from '../config/load';
import type { StartedBackup } from '../model/backup';
import { requirePid, waitForRestart } from '../demo/cluster-control';
import { clusterControlFor, type ClusterControlOptions } from './cluster-control-for';
import { waitPlaced, type DrillContext } from './drill-context';
import { ProgressWatch } from './progress-watch';
import type { DrillReport } from './report';
import { gatherReport } from './report-builder';
import { DRILL_SCENARIOS } from './scenarios/all';
import type { DrillRun, DrillScenario, Placement } from './scenarios/scenario';
import type { Scenario } from './scenario-names';
import { waitFor } from '../util/wait';

export interface DrillOptions {
  scenario: Scenario;
  configFile: string;
  app: string;
  /** Step-by-step lines for a person watching; not called with --json. */
  log?: (line: string) => void;
  /** Upper bound for the job to end after the fault. */
  jobTimeoutMs?: number;
  /** How the drill reaches the cluster service (Pacemaker's tools on each node); defaults suit the demo. */
  control?: ClusterControlOptions;
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
  const control = clusterControlFor(config, opts.control);
  // Up front, before anything changes: a fault this cluster service cannot take is refused.
  const refused = await control.refusal(opts.scenario);
  if (refused) throw new UserError(`cannot run the ${opts.scenario} drill on cluster ${config.cluster}: ${refused}`);
  await control.view();
  const { client, close } = await connect(config);
  const catalog = await openCatalog(config.catalogUrl);
  try {
    const c = { config, app, client, catalog, control, say: opts.log ?? (() => undefined) };
    return await drill(c, DRILL_SCENARIOS[opts.scenario], opts.jobTimeoutMs ?? 180_000);
  } finally {
    await close();
    await catalog.destroy();
  }
}

async function drill(c: DrillContext, scenario: DrillScenario, jobTimeoutMs: number): Promise<DrillReport> {
  const home = await preflight(c);
  const placement = await scenario.prepare(c, home);
  const started = await startBackup(c, scenario, home, placement);
  const run: DrillRun = {
    jobId: started.jobId,
    jobNode: started.node,
    target: placement.target,
    jobTimeoutMs,
    fault: null,
    faultAtMs: 0,
    movedTo: null,
    killed: null,
    failoverEvent: null,
    coordinatorStayed: false,
    fencedEvent: null,
    result: null,
    coordinatorBefore: placement.coordinatorBefore,
    problems: [],
    cleanup: [],
  };
  const watch = new ProgressWatch(c.client, run.jobId).start();
  try {
    await awaitFaultMoment(c, scenario, run, watch);
    await scenario.inject(c, run);
  } catch (err) {
    // Past this point the cluster has been changed: report the problem and still clean up.
    run.problems.push((err as Error).message);
  } finally {
    await watch.stop();
  }
  await putBack(c, run, home);

  const report = await gatherReport(c, scenario.name, run, watch);
  run.problems.push(
    ...scenario.expect({
      attempts: report.attempts,
      faultNode: run.fault?.node ?? started.node,
      movedTo: run.movedTo,
      coordinatorHostAfter: report.coordinator?.host_after ?? null,
      coordinatorStayed: run.coordinatorStayed,
      fencedNode: run.fencedEvent?.node ?? null,
      serviceMovesApps: c.control.failureMovesApps,
    }),
  );
  report.ok = run.problems.length === 0;
  report.reason = report.ok ? null : run.problems.join('; ');
  return report;
}

/** Checks the cluster is as a drill needs it; returns the app's home node. */
async function preflight(c: DrillContext): Promise<string> {
  const { config, app } = c;
  const status = await coordinatorStatus(c.client, config.cluster);
  for (const n of config.plan.nodes) requirePid(config, n.name);
  const view = await c.control.view();
  const home = view.apps[app.name] ?? null;
  if (!home || view.nodes[home] !== 'online') {
    throw new UserError(
      c.control.kind === 'static'
        ? `${app.name} is not placed on an online node in the cluster map; place it with \`baton cluster move ${app.name} <node>\``
        : `${app.name} does not run on an online node in ${c.control.kind} (crm_mon); clear its resource's failures with \`crm_resource --cleanup --resource <resource>\` and let Pacemaker start it`,
    );
  }
  await waitPlaced(c, home);
  c.say(`${app.name} runs on ${home}; coordinator on ${status.host ?? 'no node yet'}`);
  return home;
}

async function startBackup(
  c: DrillContext,
  scenario: DrillScenario,
  home: string,
  placement: Placement,
): Promise<StartedBackup> {
  let started: StartedBackup;
  try {
    // Full: a drill re-runs unchanged data, and a cached backup would end before the fault.
    started = await requestBackup(c.client, c.config.cluster, c.app.name, `drill:${scenario.name}`, true);
  } catch (err) {
    // Refused (a backup of the app already running...): undo the pre-move, change nothing.
    if (placement.appNode !== home) await c.control.moveApp(c.app.name, home);
    throw err;
  }
  c.say(`backup ${started.jobId} started on ${started.node} to drive ${started.drive}`);
  return started;
}

/** Waits for the job's first checkpoint and, for restart faults, for progress past it. */
async function awaitFaultMoment(
  c: DrillContext,
  scenario: DrillScenario,
  run: DrillRun,
  watch: ProgressWatch,
): Promise<void> {
  const cp = await waitFor('a first checkpoint of the job', () => latestCheckpoint(c.catalog, run.jobId), 60_000);
  c.say(`checkpoint ${cp.seq}: ${cp.files} files, ${cp.bytes} bytes durable on ${cp.node}`);
  if (!scenario.strikesPastCheckpoint) return;
  await waitFor(
    'the attempt to report progress past its checkpoint',
    async () => {
      await watch.poll();
      return (watch.maxBytes() ?? 0) > cp.bytes;
    },
    (c.config.plan.jobs.checkpointEverySeconds + 3) * 1000,
  ).catch(() => c.say('no progress report past the checkpoint yet; injecting the fault anyway'));
}

/** Leaves the cluster as the drill found it: killed node back (and online), app on its home. */
async function putBack(c: DrillContext, run: DrillRun, home: string): Promise<void> {
  const { config, app } = c;
  try {
    const killed = run.killed;
    if (killed) {
      const pid = await waitForRestart(config, killed.node, killed.pid);
      run.cleanup.push(`${killed.node} is back (pid ${pid}, restarted by ${c.control.restarter})`);
      if (killed.markedOffline) run.cleanup.push(await c.control.restoreNode(killed.node));
    }
    if ((await c.control.view()).apps[app.name] !== home) {
      await c.control.moveApp(app.name, home);
      await waitPlaced(c, home);
      run.cleanup.push(`${app.name} moved back to ${home}`);
    }
  } catch (err) {
    run.problems.push(`could not put the cluster back as it was: ${(err as Error).message}`);
  }
}
