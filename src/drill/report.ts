/** What a drill reports (the --json object) and how a person reads it. Pure. */
import type { Scenario } from './scenario-names';
import type { Timings } from './timings';

export interface DrillAttempt {
  number: number;
  node: string;
  drive: string;
  epoch: number;
  outcome: string | null;
  started_at: string;
  ended_at: string | null;
  restart: { kind: string; reason: string } | null;
}

export interface DrillReport {
  scenario: Scenario;
  app: string;
  /** The job's workflow ID. */
  job: string;
  ok: boolean;
  /** Why the drill failed; null when it passed. */
  reason: string | null;
  fault: { kind: string; node: string; pid: number | null; at: string; detail: string };
  job_state: string;
  attempts: DrillAttempt[];
  /** The committed snapshot's ID (on `drive`). */
  snapshot: string | null;
  /** Path of the drive holding the commit. */
  drive: string | null;
  /** The app's data path the restore is compared with. */
  source: string;
  timings: Timings;
  reread_bytes: number;
  /** The failed attempt's last reported progress and the checkpoint the next one resumed from. */
  reread_basis: { last_progress_bytes: number | null; resumed_from_bytes: number | null };
  checkpoint_interval_s: number;
  restore_identical: boolean;
  restore: { files: number; bytes: number; difference: string | null } | null;
  /** Manifests committed for the job across all drives (one snapshot means exactly 1). */
  commits: number;
  /**
   * coordinator-failover only. `stayed_on_restarted_node`: the killed host's process was restarted
   * before the coordinator's next workflow task and took it (host_after is host_before).
   */
  coordinator: { host_before: string | null; host_after: string | null; stayed_on_restarted_node: boolean } | null;
  /** fencing only: the woken node's event saying it is fenced off (write-fenced, or attempt-stopped with its stale epoch). */
  fenced_event: { node: string | null; kind: string; at: string; message: string } | null;
  /** What the drill did afterwards to leave the cluster as it found it. */
  cleanup: string[];
  /** Things a reader should know to read the figures right (e.g. why a timing is null). */
  notes: string[];
}

const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
const s = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} s`);

export function formatReport(r: DrillReport): string {
  const lines = [`drill ${r.scenario} on ${r.app}: job ${r.job}`];
  lines.push(`  fault at ${r.fault.at}: ${r.fault.detail}`);
  for (const a of r.attempts) {
    const how = a.restart ? `, ${a.restart.kind} restart: ${a.restart.reason}` : '';
    lines.push(`  attempt ${a.number}: ${a.node} to ${a.drive}, epoch ${a.epoch}, ${a.outcome ?? 'running'}${how}`);
  }
  if (r.coordinator) {
    const stayed = r.coordinator.stayed_on_restarted_node
      ? " (stayed: the node's restarted process took its next task)"
      : '';
    lines.push(`  coordinator host: ${r.coordinator.host_before} -> ${r.coordinator.host_after}${stayed}`);
  }
  if (r.fenced_event)
    lines.push(
      `  fenced: ${r.fenced_event.node} at ${r.fenced_event.at} (${r.fenced_event.kind}): ${r.fenced_event.message}`,
    );
  lines.push(
    `  after the fault: detected ${s(r.timings.fault_to_detection)}, re-routed ${s(r.timings.to_reroute)}, ` +
      `writing again ${s(r.timings.to_writing_again)} (first checkpoint ${s(r.timings.to_resumed_writing)})`,
  );
  lines.push(
    `  re-read ${mib(r.reread_bytes)} already read before the fault ` +
      `(checkpoint every ${r.checkpoint_interval_s} s)`,
  );
  lines.push(
    `  job ${r.job_state}; snapshot ${r.snapshot ?? 'none'} on drive ${r.drive ?? 'none'} (${r.commits} commit(s))`,
  );
  if (r.restore) {
    lines.push(
      r.restore_identical
        ? `  restore: identical to ${r.source} (${r.restore.files} files, ${mib(r.restore.bytes)})`
        : `  restore: NOT identical to ${r.source}: ${r.restore.difference}`,
    );
  }
  for (const c of r.cleanup) lines.push(`  cleanup: ${c}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  lines.push(r.ok ? 'PASS' : `FAIL: ${r.reason}`);
  return lines.join('\n');
}
