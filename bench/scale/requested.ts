/**
 * One backup request of bench:scale and what became of it, sent by the bench (run.ts) or by a worker
 * process in a burst from the nodes (worker-process.ts).
 */
import type { Client } from '@temporalio/client';
import { requestBackup } from '../../src/client/coordinator-client';

export interface Requested {
  app: string;
  at: number;
  jobId?: string;
  /** request -> the coordinator's answer: it started the job workflow (its update returned) */
  acceptedMs?: number;
  refused?: string;
  /** each refusal that was retried: ms after the request, and its first line */
  retried?: [number, string][];
}

/** An error's message and its causes', first lines, joined: what a retried refusal said. */
function chainText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    parts.push(String(e.message).split('\n')[0] ?? '');
  return parts.join(' <- ');
}

/** Asks for a backup of `app` now; resolves, never rejects, once the coordinator answered or the request gave up. */
export async function sendRequest(client: Client, cluster: string, app: string, r: Requested): Promise<void> {
  try {
    const started = await requestBackup(client, cluster, app, 'bench-scale', false, (err) =>
      (r.retried ??= []).push([Date.now() - r.at, chainText(err)]),
    );
    r.jobId = started.jobId;
    r.acceptedMs = Date.now() - r.at;
  } catch (err) {
    r.refused = String((err as Error).message).split('\n')[0];
  }
}
