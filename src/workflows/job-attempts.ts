/**
 * A backup job's retry loop, decided: after an attempt ends, does the job stop (a failure another
 * attempt cannot fix, the attempt limit, an app the cluster placed nowhere, a node with no drive)
 * or try again, where, on which drive, and from which checkpoint. Pure, so unit tests drive every
 * branch; the workflow does the awaiting (the catalog, the cluster service, the node's check of a
 * checkpoint) and asks this class what each answer means. docs/restart-policy.md states the rules.
 */
import type { CatalogActivities } from '../activities/catalog-activities';
import type {
  AttemptOutcome,
  BackupJobInput,
  BackupOutcome,
  CheckpointCheck,
  CheckpointRef,
  RestartDecision,
} from '../model/backup';
import type { DriveSpec } from '../model/plan';
import { decideRestart } from './restart-policy';

/** How an attempt ended, as the workflow saw it. */
export type AttemptEnd =
  | { kind: 'succeeded'; outcome: BackupOutcome }
  | { kind: 'moved'; to: string }
  | { kind: 'failed'; outcome: AttemptOutcome; error: string; final: boolean };

/** An attempt: where it runs, on which drive, and how it starts. */
export interface Attempt {
  number: number;
  node: string;
  drive: DriveSpec;
  /** Why this attempt runs (null for the first). */
  restart: RestartDecision | null;
  /** The checkpoint it continues from; null to start fresh. */
  resumeFrom: CheckpointRef | null;
}

/** What an attempt that did not succeed means for the job. */
export type AfterAttempt =
  | { kind: 'give-up'; error: string }
  /** Try again where the app runs: `to` when the app moved there, null to ask the cluster. */
  | { kind: 'retry'; cause: string; to: string | null };

/** Where the next attempt runs, or why there is none. */
export type NextPlace = { kind: 'give-up'; error: string } | { kind: 'placed'; node: string; drive: DriveSpec };

export type AttemptStart = Parameters<CatalogActivities['beginAttempt']>[0];

export class JobAttempts {
  private attempt: Attempt;

  constructor(private readonly input: BackupJobInput) {
    this.attempt = { number: 1, node: input.node, drive: input.drive, restart: null, resumeFrom: null };
  }

  /** The attempt that runs now (or is about to). */
  get current(): Attempt {
    return this.attempt;
  }

  /** Every attempt after the first runs where the app went: the coordinator is told so. */
  get rerouted(): boolean {
    return this.attempt.number > 1;
  }

  /** The catalog's record of the current attempt's start. */
  start(): AttemptStart {
    const { number, node, drive, restart, resumeFrom } = this.attempt;
    return {
      cluster: this.input.cluster,
      jobId: this.input.jobId,
      number,
      node,
      drive: drive.name,
      restart: restart ?? undefined,
      resumedFrom: resumeFrom
        ? { at: resumeFrom.at, node: resumeFrom.node, files: resumeFrom.files, bytes: resumeFrom.bytes }
        : undefined,
    };
  }

  /** How the catalog and the job's view record an attempt that did not succeed. */
  static ending(end: Exclude<AttemptEnd, { kind: 'succeeded' }>): { outcome: AttemptOutcome; detail: string } {
    return end.kind === 'moved'
      ? { outcome: 'moved', detail: `app moved to ${end.to}` }
      : { outcome: end.outcome, detail: end.error };
  }

  /**
   * A committed attempt wins: how an attempt the workflow saw end `moved` really ended. `ran` is
   * its activity's own outcome when that had arrived by the time the move won (the same workflow
   * activation); `committed` the catalog's record of its commit, read after the attempt was fenced
   * off (null: it did not commit, or the job did not ask). Either makes it a success, and the job
   * ends with that snapshot instead of backing the app up again where it went.
   */
  static settleMoved(
    moved: Extract<AttemptEnd, { kind: 'moved' }>,
    ran: BackupOutcome | null,
    committed: BackupOutcome | null,
  ): AttemptEnd {
    const outcome = ran ?? committed;
    return outcome ? { kind: 'succeeded', outcome } : moved;
  }

  /** Stop, or try again: and if so, whether the job already knows where. */
  after(end: Exclude<AttemptEnd, { kind: 'succeeded' }>): AfterAttempt {
    const { number, node } = this.attempt;
    if (end.kind === 'failed' && end.final) return { kind: 'give-up', error: end.error };
    if (number >= this.input.settings.maxAttempts) {
      const { detail } = JobAttempts.ending(end);
      return { kind: 'give-up', error: `gave up after ${number} attempts; the last one on ${node}: ${detail}` };
    }
    if (end.kind === 'moved') return { kind: 'retry', cause: `app moved from ${node} to ${end.to}`, to: end.to };
    // The node failed: the app is wherever the cluster puts it next, which the job has to ask.
    return { kind: 'retry', cause: `attempt ${number} on ${node} ${end.error}`, to: null };
  }

  /** The drive a job writes to on `node`: that node's first pre-assigned drive. */
  driveFor(node: string): DriveSpec | undefined {
    return this.input.drives.find((d) => d.node === node);
  }

  /** Until when (workflow clock) the job waits for the cluster to place an app it found nowhere. */
  placementDeadline(nowMs: number): number {
    return nowMs + this.input.settings.placementWaitSeconds * 1000;
  }

  /** The next attempt's node and drive, given where the cluster placed the app (null: nowhere in time). */
  place(cause: string, host: string | null): NextPlace {
    if (host === null) {
      const wait = this.input.settings.placementWaitSeconds;
      return { kind: 'give-up', error: `${cause}, and the cluster placed the app on no node within ${wait} s` };
    }
    const drive = this.driveFor(host);
    if (!drive) {
      return { kind: 'give-up', error: `${cause}, but node ${host} has no pre-assigned drive; add one to the config` };
    }
    return { kind: 'placed', node: host, drive };
  }

  /** Whether the next node must be asked if it can read `checkpoint`: only when it may resume from it. */
  shouldCheck(checkpoint: CheckpointRef | null): checkpoint is CheckpointRef {
    return checkpoint !== null && this.input.app.restart !== 'fresh';
  }

  /**
   * Moves on to the next attempt on `place`: from `checkpoint` when the restart policy says so
   * (restart-policy.ts), else fresh. `readable` is the next node's answer, null when not asked.
   */
  next(
    cause: string,
    place: { node: string; drive: DriveSpec },
    checkpoint: CheckpointRef | null,
    check: CheckpointCheck | null,
    nowMs: number,
  ): Attempt & { restart: RestartDecision } {
    const restart = decideRestart({
      policy: this.input.app.restart,
      maxCheckpointAgeSeconds: this.input.app.maxCheckpointAgeSeconds,
      checkpoint,
      nowMs,
      cause,
      readable: check?.readable ?? null,
      problem: check?.problem,
      nextNode: place.node,
    });
    const next = {
      number: this.attempt.number + 1,
      node: place.node,
      drive: place.drive,
      restart,
      resumeFrom: restart.kind === 'checkpoint' ? checkpoint : null,
    };
    this.attempt = next;
    return next;
  }
}
