/**
 * The fault scenarios scripts/record-histories.ts records, each a real run on a real dev server
 * with real node processes:
 *   backup-job-node-failure:     the node running a backup of drill-db is SIGKILLed mid-way and
 *                                marked offline; attempt 1 ends by heartbeat timeout, then the app is
 *                                placed on another node (as a cluster service would) and attempt 2
 *                                resumes there from the checkpoint and succeeds
 *   backup-job-isolated-node:    the node running a backup of drill-db is frozen (SIGSTOP) and the
 *                                app moved; attempt 2 runs elsewhere under a higher epoch and
 *                                succeeds; the node is woken (SIGCONT) and its late write fenced
 *   coordinator-continue-as-new: the coordinator's run that continued as new with a backup running
 *                                (the server suggests it after 40 events here), and
 *                                coordinator-continue-as-new-job-finished: the later run that heard that
 *                                backup finish, and coordinator-repeated-request: a later run that
 *                                took the backup's request again, under its update ID, and answered
 *                                with that backup (coordinator-answers-repeats)
 */
import type { temporal } from '@temporalio/proto';
import { attemptsOf, latestCheckpoint } from '../src/catalog/attempts';
import { jobEvents } from '../src/catalog/jobs';
import { ensureCoordinator, followJob, requestBackup } from '../src/client/coordinator-client';
import { sendStartBackup } from '../src/client/coordinator-update';
import { readStaticMap, writeStaticMap } from '../src/cluster/static';
import { DRILL_APP } from '../src/demo/demo-files';
import { isFencedOff } from '../src/drill/scenarios/fencing';
import { coordinatorWorkflowId } from '../src/model/names';
import { waitFor } from '../src/util/wait';
import type { LocalCluster } from '../test/helpers/local-cluster';
import { answerIndex } from '../test/helpers/update-answers';

/** Saves a run's history under a name: (name, workflow ID, run ID or undefined for the latest). */
export type SaveRun = (name: string, workflowId: string, runId?: string) => Promise<void>;

/** The dynamic config coordinator-continue-as-new records under: a coordinator run lasts seconds. */
export const CONTINUE_AS_NEW_CONFIG = { 'limit.historyCount.suggestContinueAsNew': 40 };

/** Starts a full backup of drill-db and waits for its first checkpoint; returns the job and its node. */
async function backupPastCheckpoint(cluster: LocalCluster): Promise<{ jobId: string; node: string }> {
  const { jobId } = await requestBackup(cluster.client, cluster.config.cluster, DRILL_APP, 'record-histories', true);
  await waitFor('a checkpoint', () => latestCheckpoint(cluster.catalog, jobId));
  const [first] = await attemptsOf(cluster.catalog, jobId);
  return { jobId, node: first.node };
}

function otherNode(cluster: LocalCluster, ...not: string[]): string {
  const node = cluster.config.plan.nodes.map((n) => n.name).find((n) => !not.includes(n));
  if (!node) throw new Error(`no node besides ${not.join(', ')}`);
  return node;
}

function changeMap(cluster: LocalCluster, change: (map: ReturnType<typeof readStaticMap>) => void): void {
  const map = readStaticMap(cluster.files.mapFile);
  change(map);
  writeStaticMap(cluster.files.mapFile, map);
}

/** Expects attempts with these outcomes, the last one succeeded; returns them. */
async function expectOutcomes(cluster: LocalCluster, jobId: string, first: string[]): Promise<void> {
  const result = await followJob(cluster.client, jobId, () => undefined, 500);
  const outcomes = (await attemptsOf(cluster.catalog, jobId)).map((a) => a.outcome);
  if (result.state !== 'succeeded' || outcomes.length !== 2 || !first.includes(outcomes[0] ?? ''))
    throw new Error(`expected attempt 1 ${first.join(' or ')}, then success; got ${result.state}: ${outcomes.join()}`);
}

/** backup-job-node-failure; the killed node is started again afterwards. */
export async function recordNodeFailure(cluster: LocalCluster, save: SaveRun): Promise<void> {
  const { jobId, node } = await backupPastCheckpoint(cluster);
  cluster.signal(node, 'SIGKILL');
  changeMap(cluster, (m) => (m.nodes[node] = 'offline'));
  await waitFor(
    'attempt 1 to end by heartbeat timeout',
    async () => (await attemptsOf(cluster.catalog, jobId)).find((a) => a.number === 1 && a.ended_at),
    60_000,
  );
  const to = otherNode(cluster, node);
  changeMap(cluster, (m) => (m.apps[DRILL_APP] = to));
  await expectOutcomes(cluster, jobId, ['timed-out']);
  await save('backup-job-node-failure', jobId);
  changeMap(cluster, (m) => (m.nodes[node] = 'online'));
  cluster.restart(node);
}

/** backup-job-isolated-node; the frozen node is always woken. */
export async function recordIsolatedNode(cluster: LocalCluster, save: SaveRun): Promise<void> {
  const { jobId, node } = await backupPastCheckpoint(cluster);
  cluster.signal(node, 'SIGSTOP');
  try {
    changeMap(cluster, (m) => (m.apps[DRILL_APP] = otherNode(cluster, node)));
    // moved when the coordinator tells the job in time; timed-out when the frozen node held a task
    await expectOutcomes(cluster, jobId, ['moved', 'timed-out']);
  } finally {
    cluster.signal(node, 'SIGCONT');
  }
  await waitFor(
    `the woken ${node} to find itself fenced off (write-fenced, or attempt-stopped with its stale epoch)`,
    async () => (await jobEvents(cluster.catalog, jobId)).find((e) => e.node === node && isFencedOff(e)),
    30_000,
  );
  await save('backup-job-isolated-node', jobId);
}

type History = temporal.api.history.v1.IHistory;

/** The run after `runId` (its ContinuedAsNew event's newExecutionRunId), or null if it did not continue. */
function nextRun(history: History): string | null {
  const last = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
  return last?.newExecutionRunId ?? null;
}

/** The run of the chain from `from` that took the update `updateId`, once it continued as new. */
async function runThatTook(cluster: LocalCluster, id: string, from: string, updateId: string): Promise<string> {
  const took = (history: History) =>
    (history.events ?? []).some(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === updateId,
    );
  return waitFor(
    `the run that took update ${updateId} to continue as new`,
    async () => {
      for (let run: string | null = from; run;) {
        const history = await cluster.client.workflow.getHandle(id, run).fetchHistory();
        if (took(history)) return nextRun(history) && run;
        run = nextRun(history);
      }
      return null;
    },
    120_000,
    1000,
  );
}

/**
 * coordinator-continue-as-new and -job-finished, on a cluster started with CONTINUE_AS_NEW_CONFIG: a
 * backup started in one run, that run continued as new with the backup running, and the run that
 * heard the backup finish; then coordinator-repeated-request, the backup's request asked again
 * under its update ID, answered in a later run with that backup.
 */
export async function recordContinueAsNew(cluster: LocalCluster, save: SaveRun): Promise<void> {
  const id = await ensureCoordinator(cluster.client, cluster.config, { tickSeconds: 1 });
  const handle = cluster.client.workflow.getHandle(id);
  const { runId } = await handle.describe();
  const request = { app: DRILL_APP, requestedBy: 'record-histories', full: true };
  const updateId = `record-histories-${runId}`;
  const { jobId } = await sendStartBackup(cluster.client, id, request, { updateId });
  const result = await followJob(cluster.client, jobId, () => undefined, 500);
  if (result.state !== 'succeeded') throw new Error(`backup ${result.state}: ${result.error}`);
  await new Promise((r) => setTimeout(r, 2000));
  // the run that started the job, then along the chain to the one that heard it finish
  let run: string | null = runId;
  let started: string | null = null;
  const walked: string[] = [];
  while (run) {
    const history = await cluster.client.workflow
      .getHandle(coordinatorWorkflowId(cluster.config.cluster), run)
      .fetchHistory();
    const text = JSON.stringify(history.events);
    if (!started && (text.includes(jobId) || answerIndex(history.events ?? [], jobId) >= 0)) started = run;
    if (started === run && !nextRun(history))
      throw new Error('the run that started the backup did not continue as new');
    // a job's end: the jobFinished signal, or the jobEnded update (job-reports-end-by-update)
    const ends = (history.events ?? []).filter(
      (e) =>
        e.workflowExecutionSignaledEventAttributes?.signalName === 'jobFinished' ||
        e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'jobEnded',
    );
    walked.push(
      `${run}: ${history.events?.length} events${started === run ? ', started the job' : ''}, ${ends.length} ends`,
    );
    if (started && started !== run && ends.length > 0) {
      await save('coordinator-continue-as-new', id, started);
      await save('coordinator-continue-as-new-job-finished', id, run);
      const again = await sendStartBackup(cluster.client, id, request, { updateId });
      if (again.jobId !== jobId) throw new Error(`the request asked again got ${again.jobId}, not ${jobId}`);
      await save('coordinator-repeated-request', id, await runThatTook(cluster, id, run, updateId));
      return;
    }
    run = nextRun(history);
  }
  throw new Error(
    `no coordinator run heard ${jobId} finish after the one that started it continued as new; runs: ${walked.join('; ')}`,
  );
}
