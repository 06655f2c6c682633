/**
 * bench:scale's burst through the apps' own Temporal Schedules (BATON_SCALE_BURST_FROM=schedules):
 * every app's schedule has the same cron time, a few minutes after the run starts, with no jitter.
 * The coordinator creates the schedules from its plan; at that minute the server fires every one,
 * and each scheduled run asks the coordinator for its backup and waits for it (scheduled-backup.ts),
 * as on the night an operator gave a thousand apps "0 2 * * *". What each run ended with becomes its
 * app's request record, timed from the cron time.
 */
import type { Client } from '@temporalio/client';
import { scheduleId, schedulePrefix } from '../../src/model/names';
import type { Requested } from './requested';

/** The cron expression (UTC, as Temporal reads it) of the first whole minute at least `leadS` from now, and that minute. */
export function cronAfter(leadS: number, now = Date.now()): { cron: string; at: number } {
  const at = Math.ceil((now + leadS * 1000) / 60_000) * 60_000;
  const d = new Date(at);
  return { cron: `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`, at };
}

/** Waits until the coordinator has created all `apps` schedules of `cluster`; throws once `by` passed without them. */
export async function schedulesCreated(client: Client, cluster: string, apps: number, by: number): Promise<void> {
  for (;;) {
    let n = 0;
    for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(schedulePrefix(cluster))) n++;
    if (n >= apps) return;
    if (Date.now() > by) {
      throw new Error(
        `only ${n} of ${apps} schedules were created before their cron time; give the coordinator more time ` +
          '(BATON_SCALE_CRON_LEAD_S)',
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** How a scheduled run ended (or that it had not), as a request record from `at`, the cron time. */
async function outcomeOf(client: Client, cluster: string, app: string, at: number): Promise<Requested> {
  const r: Requested = { app, at };
  const info = (await client.schedule.getHandle(scheduleId(cluster, app)).describe()).info;
  const action = info.recentActions.at(-1)?.action;
  if (!action) {
    r.refused = 'the schedule did not fire';
    return r;
  }
  const handle = client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
  if ((await handle.describe()).status.name === 'RUNNING') {
    r.refused = 'its scheduled run had not ended when the bench stopped waiting';
    return r;
  }
  try {
    const result = (await handle.result()) as { jobId: string | null; state: string; reason?: string };
    if (result.jobId) r.jobId = result.jobId;
    else r.refused = `skipped: ${result.reason ?? result.state}`;
  } catch (err) {
    r.refused = `its scheduled run failed: ${String((err as { cause?: Error }).cause?.message ?? (err as Error).message)}`;
  }
  return r;
}

/** Scheduled runs started (this run's server holds no others), and those of them still open. */
async function runsStarted(client: Client): Promise<{ started: number; open: number }> {
  const runs = "WorkflowType = 'scheduledBackup'";
  const [started, open] = await Promise.all([
    client.workflow.count(runs),
    client.workflow.count(`${runs} AND ExecutionStatus = 'Running'`),
  ]);
  return { started: started.count, open: open.count };
}

/**
 * Waits for the cron time, then for every app's scheduled run to end (or `timeoutMs` after the
 * cron time), and returns each app's outcome. `say` hears the progress.
 */
export async function scheduledBurst(
  client: Client,
  cluster: string,
  apps: string[],
  at: number,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<Requested[]> {
  await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  say(`cron time: ${apps.length} schedules fire`);
  for (;;) {
    await new Promise((r) => setTimeout(r, 5000));
    const { started, open } = await runsStarted(client);
    if ((started >= apps.length && open === 0) || Date.now() > at + timeoutMs) break;
    say(`${started} scheduled runs started, ${open} still open`);
  }
  const out: Requested[] = [];
  for (let i = 0; i < apps.length; i += 50) {
    out.push(...(await Promise.all(apps.slice(i, i + 50).map((app) => outcomeOf(client, cluster, app, at)))));
  }
  return out;
}
