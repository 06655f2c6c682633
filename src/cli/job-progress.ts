/**
 * Following a cluster job in the CLI (`baton backup|restore|verify --wait`): its live views become
 * the progress renderer's lines, and Ctrl-C (SIGINT) stops the following, not the job
 * (FollowInterrupted, exit 130; `baton job cancel` cancels a job).
 */
import type { JobView } from '../model/backup';
import type { OperationView } from '../model/operations';
import { ProgressRenderer, progressMode } from './progress-renderer';

/** A renderer on stdout: JSON lines with --json, a live line on a terminal, plain lines otherwise. */
export function stdoutProgress(json: boolean | undefined): ProgressRenderer {
  return new ProgressRenderer({ out: process.stdout, mode: progressMode(process.stdout, json) });
}

/**
 * A backup job's view: where its attempt runs, and the counters its heartbeats carry. Counters of
 * an older attempt (still pending while it is cancelled, before the new one's first heartbeat) are
 * not shown as the new node's.
 */
export function showBackupView(r: ProgressRenderer, v: JobView): void {
  r.at(v.node || null, v.attempt > 0 ? v.attempt : null);
  const p = v.progress;
  const current = v.attempts.find((a) => a.number === v.attempt);
  if (!p || (current && p.epoch !== current.epoch)) return;
  r.update({ bytes: p.bytes, files: p.files, totalBytes: p.totalBytes, totalFiles: p.totalFiles });
}

/** A restore's or verify's view (a verify has no totals). */
export function showOperationView(r: ProgressRenderer, v: OperationView): void {
  r.at(v.node || null);
  const p = v.progress;
  if (p && v.state === 'running') {
    r.update({ bytes: p.bytes, files: p.files, totalBytes: p.totalBytes, totalFiles: p.totalFiles });
  }
}

/**
 * Runs `follow` with a signal that Ctrl-C (SIGINT) aborts, instead of killing the process; the live
 * line is taken off the terminal before any error is printed.
 */
export async function followUntilInterrupted<T>(
  r: ProgressRenderer,
  follow: (stop: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  const onInterrupt = (): void => ac.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await follow(ac.signal);
  } catch (err) {
    r.clear();
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
