/**
 * What the backup, restore and verify activities put in their heartbeat details: the live progress
 * of a running job. Temporal keeps the latest details of a pending activity without adding a
 * history event, so the job's history does not grow with its length; viewers read them with
 * `describe()` (src/client/live-progress.ts) and the Web UI shows them under Pending Activities.
 * `summary` comes first so the Web UI's JSON reads as one line before the structured fields.
 */
import type { BackupProgress } from './backup';
import { formatBytes } from './format';
import type { OperationProgress } from './operations';

/** The last checkpoint an attempt saved, as its heartbeats carry it. */
export interface HeartbeatCheckpoint {
  at: string;
  files: number;
  bytes: number;
}

export interface BackupHeartbeat {
  summary: string;
  progress: BackupProgress;
  /** The attempt's last durable checkpoint; null before the first. */
  checkpoint: HeartbeatCheckpoint | null;
}

export interface OperationHeartbeat {
  summary: string;
  progress: OperationProgress;
}

/** Where the Web UI shows a running job's live progress, for its current details (docs/restart-policy.md). */
export function liveProgressHint(activity: string): string {
  return `live progress: the \`summary\` in the heartbeat details of the pending \`${activity}\` activity (Pending Activities)`;
}

/** `95 s` -> `1 min 35 s`; `7300 s` -> `2 h 1 min`. */
export function formatSeconds(s: number): string {
  const n = Math.max(0, Math.round(s));
  if (n < 60) return `${n} s`;
  if (n < 3600) return `${Math.floor(n / 60)} min ${n % 60} s`;
  return `${Math.floor(n / 3600)} h ${Math.floor((n % 3600) / 60)} min`;
}

/** Percent of `total` done, at most `cap`; null when the total is unknown. */
function percent(done: number, total: number, cap: number): number | null {
  return total > 0 ? Math.min(cap, Math.floor((100 * done) / total)) : null;
}

/** One line for people: `42%: 51 of 120 files, 3.2 MiB of 7.5 MiB at 120.0 KiB/s, about 36 s left; ...`. */
export function backupSummary(p: BackupProgress): string {
  // the total is the previous snapshot's size, an estimate: 100% is for the committed snapshot
  const pct = percent(p.bytes, p.totalBytes, 99);
  const files = p.totalFiles > 0 ? `${p.files} of about ${p.totalFiles} files` : `${p.files} files`;
  const bytes =
    p.totalBytes > 0 ? `${formatBytes(p.bytes)} of about ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes);
  const eta = p.etaSeconds !== null ? `, about ${formatSeconds(p.etaSeconds)} left` : '';
  return (
    `${pct !== null ? `${pct}%: ` : ''}${files}, ${bytes} at ${formatBytes(p.rateBytesPerSecond)}/s${eta}; ` +
    `last checkpoint ${p.checkpointAt ?? 'none yet'}; epoch ${p.epoch}`
  );
}

/** One line for people about a restore (files and bytes of the snapshot's) or a verify (bytes read). */
export function operationSummary(kind: 'restore' | 'verify', p: OperationProgress, elapsedSeconds: number): string {
  const rate = elapsedSeconds > 0 ? p.bytes / elapsedSeconds : 0;
  const at = `at ${formatBytes(Math.round(rate))}/s`;
  if (kind === 'verify') return `${formatBytes(p.bytes)} read ${at}`;
  const pct = percent(p.bytes, p.totalBytes, 100);
  const eta =
    p.totalBytes > p.bytes && rate > 0 ? `, about ${formatSeconds((p.totalBytes - p.bytes) / rate)} left` : '';
  const files = p.totalFiles > 0 ? `${p.files} of ${p.totalFiles} files` : `${p.files} files`;
  const bytes = p.totalBytes > 0 ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes);
  return `${pct !== null ? `${pct}%: ` : ''}${files}, ${bytes} ${at}${eta}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** The backup heartbeat in `details`, or null when they are something else (another activity's, none yet). */
export function backupHeartbeatOf(details: unknown): BackupHeartbeat | null {
  if (!isRecord(details) || typeof details.summary !== 'string' || !isRecord(details.progress)) return null;
  const p = details.progress;
  if (!isCount(p.files) || !isCount(p.bytes) || !isCount(p.epoch) || !isCount(p.rateBytesPerSecond)) return null;
  return details as unknown as BackupHeartbeat;
}

/** The restore or verify heartbeat in `details`, or null. */
export function operationHeartbeatOf(details: unknown): OperationHeartbeat | null {
  if (!isRecord(details) || typeof details.summary !== 'string' || !isRecord(details.progress)) return null;
  const p = details.progress;
  if (!isCount(p.files) || !isCount(p.bytes) || !isCount(p.totalFiles) || !isCount(p.totalBytes)) return null;
  return details as unknown as OperationHeartbeat;
}
