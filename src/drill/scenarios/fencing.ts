/**
 * fencing: SIGSTOPs the app's node, moves the app, lets the job finish elsewhere, then SIGCONTs
 * the node and waits for it to find itself fenced off: its late write refused (a write-fenced
 * event), or, when the cancellation reaches it before its next write, its stop recording the
 * stale epoch (an attempt-stopped event with the epochs as data).
 */
import { jobEvents } from '../../catalog/jobs';
import type { JobEventRow } from '../../catalog/schema';
import { signalNode } from '../../demo/cluster-control';
import { waitFor } from '../../util/wait';
import { jobResult, type DrillContext } from '../drill-context';
import { restartProblems } from '../expectations';
import { failoverPlacement, faultRecord, type DrillRun, type DrillScenario } from './scenario';

/** Moves the app and waits for the job's end while the node is stopped; always wakes it. */
async function whileStopped(c: DrillContext, run: DrillRun, pid: number, detail: string): Promise<void> {
  // Interrupted while the node is stopped: wake it before exiting, never leave it frozen.
  const wake = (signal: NodeJS.Signals) => {
    process.kill(pid, 'SIGCONT');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', wake).once('SIGTERM', wake);
  try {
    await c.control.moveApp(c.app.name, run.target ?? '');
    run.movedTo = run.target;
    c.say(detail);
    run.result = await jobResult(c, run.jobId, run.jobTimeoutMs);
  } finally {
    process.off('SIGINT', wake).off('SIGTERM', wake);
    process.kill(pid, 'SIGCONT');
    c.say(`SIGCONT to ${run.jobNode} (pid ${pid}); waiting for its late write to be fenced`);
  }
}

export const fencing: DrillScenario = {
  name: 'fencing',
  strikesPastCheckpoint: true,
  prepare: failoverPlacement,
  async inject(c, run) {
    run.faultAtMs = Date.now();
    const pid = signalNode(c.config, run.jobNode, 'SIGSTOP');
    run.fault = faultRecord(
      'sigstop-node',
      run.jobNode,
      pid,
      run.faultAtMs,
      `SIGSTOP to ${run.jobNode} (pid ${pid}), then moved ${c.app.name} to ${run.target}`,
    );
    await whileStopped(c, run, pid, run.fault.detail);
    // stopped, the node wrote nothing: its events since the SIGSTOP are the woken node's
    const stopped = new Date(run.faultAtMs).toISOString();
    const fromWoken = async () =>
      (await jobEvents(c.catalog, run.jobId)).filter((e) => e.node === run.jobNode && e.at >= stopped);
    try {
      const ev = await waitFor(
        'the woken node to find itself fenced off (a write-fenced event, or attempt-stopped with its stale epoch)',
        async () => (await fromWoken()).find(isFencedOff),
        30_000,
      );
      run.fencedEvent = { node: ev.node, kind: ev.kind, at: ev.at, message: ev.message };
    } catch (err) {
      run.problems.push(notFencedOff(err as Error, run.jobNode, await fromWoken().catch(() => [])));
    }
  },
  expect(f) {
    // `moved` when the coordinator tells the job in time; `timed-out` when the stopped node also
    // held the coordinator or the job's workflow task and the heartbeat timeout came first.
    const problems = restartProblems(f, 'moved', 'timed-out');
    if (f.fencedNode !== f.faultNode) {
      problems.push(
        f.fencedNode === null
          ? `no fenced-off event from ${f.faultNode} after it woke up`
          : `the fenced-off event came from ${f.fencedNode}, not from the woken ${f.faultNode}`,
      );
    }
    return problems;
  },
};

/** The woken attempt's own word that a newer epoch owns the job (backup-activities.ts writes both). */
export function isFencedOff(e: JobEventRow): boolean {
  if (e.kind === 'write-fenced') return true;
  if (e.kind !== 'attempt-stopped' || e.data_json === null) return false;
  const data = JSON.parse(e.data_json) as { epoch?: number; current?: number };
  return typeof data.epoch === 'number' && typeof data.current === 'number' && data.current > data.epoch;
}

/** Why the drill saw no fenced-off event: the wait's own error, and what the woken node wrote instead. */
export function notFencedOff(err: Error, node: string, events: JobEventRow[]): string {
  const seen = events.map((e) => `${e.kind}: ${e.message}`);
  return `${err.message}; ${node}'s events for the job since: ${seen.length ? seen.join(' | ') : 'none'}`;
}
