/**
 * A backup job's state as its workflow sees it: attempts and how each ended, where the app is,
 * the latest progress, the outcome. Pure, so unit tests drive it; the workflow turns `details()`
 * into the Web UI's current details and `get()` into the job's query answer.
 */
import type {
  AttemptOutcome,
  BackupJobInput,
  BackupOutcome,
  BackupProgress,
  JobView,
  RestartDecision,
} from '../model/backup';
import { formatBytes } from '../model/format';
import { liveProgressHint } from '../model/heartbeat';

export class JobTracker {
  private view: JobView;
  /** Where the cluster last said the app runs, if that differs from the current attempt's node. */
  private movedTo: string | null = null;
  /** How many appMoved signals the job has had: a wait for the app's placement wakes on a new one. */
  private moves = 0;
  /** How many driveFreed signals the job has had: a wait in line for its drive wakes on a new one. */
  private frees = 0;
  /** What the job's next attempt waits for, shown in its details: a drive another job holds. */
  private waiting: string | null = null;

  constructor(input: BackupJobInput) {
    this.view = {
      jobId: input.jobId,
      app: input.app.name,
      node: input.node,
      drive: input.drive.name,
      attempt: 0,
      state: 'pending',
      progress: null,
      attempts: [],
    };
  }

  get(): JobView {
    return this.view;
  }

  attemptStarted(number: number, epoch: number, node: string, drive: string, restart: RestartDecision | null): void {
    this.view.state = 'running';
    this.view.attempt = number;
    this.view.node = node;
    this.view.drive = drive;
    this.view.attempts.push({ number, epoch, node, drive, outcome: 'running', restart });
    if (this.movedTo === node) this.movedTo = null;
    this.waiting = null;
  }

  /** The attempt waits for `drive`: job `ahead` holds it, or is before this one in its line. */
  waitingForDrive(drive: string, ahead: string): void {
    this.waiting = `waiting for drive \`${drive}\`: job \`${ahead}\` holds it or is first in its line`;
  }

  /** A job that released the drive this one waits for says so. */
  driveFreed(): void {
    this.frees += 1;
  }

  /** driveFreed signals so far: a change means the drive may be free. */
  get drivesFreed(): number {
    return this.frees;
  }

  attemptEnded(outcome: AttemptOutcome, error?: string): void {
    const current = this.view.attempts.at(-1);
    if (!current || current.outcome !== 'running') return;
    current.outcome = outcome;
    if (error) current.error = error;
  }

  get epoch(): number {
    return this.view.attempts.at(-1)?.epoch ?? 0;
  }

  /** The cluster (through the coordinator) says the app now runs on `node` (null: nowhere). */
  appMoved(node: string | null): void {
    this.moves += 1;
    this.movedTo = node !== null && node !== this.view.node ? node : null;
  }

  /** appMoved signals so far, whatever they said: a change means the cluster has news. */
  get movesHeard(): number {
    return this.moves;
  }

  /** The node the app moved to, when it is not where the current attempt runs. */
  get pendingMove(): string | null {
    return this.movedTo;
  }

  /** Progress only moves forward, and only the current attempt reports. */
  progress(p: BackupProgress): void {
    if (p.epoch !== this.epoch) return;
    const current = this.view.progress;
    if (current && current.epoch === p.epoch && (p.bytes < current.bytes || p.files < current.files)) return;
    this.view.progress = p;
  }

  succeeded(outcome: BackupOutcome): void {
    this.attemptEnded('succeeded');
    this.view.state = 'succeeded';
    this.view.outcome = outcome;
  }

  failed(error: string): void {
    this.attemptEnded('failed', error);
    this.waiting = null;
    this.view.state = 'failed';
    this.view.error = error;
  }

  /** Someone cancelled the job (`baton job cancel`, the Web UI): its attempt stops where it is. */
  cancelled(reason: string): void {
    this.attemptEnded('cancelled', reason);
    this.waiting = null;
    this.view.state = 'cancelled';
    this.view.error = reason;
  }

  /** The attempt that runs now, if one does: the catalog still holds it open. */
  get runningAttempt(): number | null {
    const current = this.view.attempts.at(-1);
    return current?.outcome === 'running' ? current.number : null;
  }

  /**
   * Markdown for the Web UI's "current details": the stable facts (node, drive, attempt, earlier
   * attempts, restart reason, outcome). Live progress is in the running attempt's heartbeat
   * details; only a job started before that (whose attempts signalled progress) shows it here.
   */
  details(): string {
    const v = this.view;
    const lines = [
      `**${v.state}** backup of \`${v.app}\` on \`${v.node}\` to drive \`${v.drive}\`, attempt ${v.attempt}`,
    ];
    if (this.waiting) lines.push(this.waiting);
    const p = v.progress;
    if (!p && v.state === 'running') lines.push(liveProgressHint('backupAttempt'));
    if (p) {
      const estimate =
        p.totalBytes > 0
          ? ` of about ${p.totalFiles} files, ${formatBytes(p.totalBytes)} (${Math.min(99, Math.floor((100 * p.bytes) / p.totalBytes))}%)`
          : '';
      const eta = p.etaSeconds !== null ? `, about ${p.etaSeconds} s left` : '';
      lines.push(
        `progress: ${p.files} files, ${formatBytes(p.bytes)}${estimate} at ${formatBytes(p.rateBytesPerSecond)}/s${eta}`,
      );
      lines.push(`last checkpoint: ${p.checkpointAt ?? 'none yet'}`);
    }
    for (const a of v.attempts.slice(0, -1)) {
      lines.push(`attempt ${a.number} on ${a.node}: ${a.outcome}${a.error ? ` (${a.error})` : ''}`);
    }
    const last = v.attempts.at(-1);
    if (last?.restart) lines.push(`${last.restart.kind} restart: ${last.restart.reason}`);
    if (v.outcome)
      lines.push(
        `snapshot \`${v.outcome.snapshotId.slice(0, 12)}\` on ${v.outcome.drive}: ${v.outcome.files} files, ` +
          `${formatBytes(v.outcome.bytes)} (${formatBytes(v.outcome.newBytes)} new)${v.outcome.incomplete ? ', INCOMPLETE' : ''}`,
      );
    if (v.error) lines.push(`error: ${v.error}`);
    return lines.join('\n\n');
  }
}
