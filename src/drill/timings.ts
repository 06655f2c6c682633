/**
 * The drill's figures, computed from catalog timestamps and the instant the drill injected its
 * fault. Pure, so unit tests pin the definitions down (docs/drills.md states them):
 *
 *   fault_to_detection  fault -> the failure is on record: attempt 1's ended_at, or for a
 *                        coordinator failover the coordinator-failover event's time
 *   to_reroute          fault -> the job runs again: attempt 2's started_at, or for a coordinator
 *                        failover the new host's coordinator-reconciled event for this job
 *   to_resumed_writing  fault -> the job's first checkpoint after the reroute (attempt 2's first
 *                        checkpoint; for a coordinator failover the first checkpoint at or after
 *                        the reconcile), or the job's end when no checkpoint came before it
 *   to_writing_again    fault -> attempt 2 first got past the position it resumed from (its
 *                        heartbeat's writingAt, stamped by the node when the engine first reports
 *                        progress beyond the checkpoint, or beyond 0 for a fresh restart); null
 *                        when no second attempt reported it (a coordinator failover keeps its attempt)
 */
import type { Scenario } from './scenario-names';

export interface AttemptTimes {
  number: number;
  epoch: number;
  started_at: string;
  ended_at: string | null;
}

export interface TimingInput {
  scenario: Scenario;
  faultAtMs: number;
  attempts: AttemptTimes[];
  checkpoints: { epoch: number; at: string }[];
  /** The coordinator-failover event's time (coordinator-failover scenario). */
  coordinatorFailoverAt?: string | null;
  /** The coordinator-reconciled event for this job after the failover (coordinator-failover scenario). */
  reconciledAt?: string | null;
  jobFinishedAt: string | null;
  /** Attempt 2's writingAt as its heartbeat said (ProgressWatch.writingAt). */
  secondWritingAt?: string | null;
}

export interface Timings {
  fault_to_detection: number | null;
  to_reroute: number | null;
  to_resumed_writing: number | null;
  to_writing_again: number | null;
}

const seconds = (fromMs: number, iso: string | null | undefined): number | null =>
  iso ? Math.round(Date.parse(iso) - fromMs) / 1000 : null;

export function computeTimings(t: TimingInput): Timings {
  const first = t.attempts.find((a) => a.number === 1);
  const second = t.attempts.find((a) => a.number === 2);
  let detection: string | null | undefined;
  let reroute: string | null | undefined;
  let resumed: string | null | undefined;
  if (t.scenario === 'coordinator-failover') {
    detection = t.coordinatorFailoverAt;
    reroute = t.reconciledAt;
    const from = reroute ? Date.parse(reroute) : null;
    resumed =
      from === null
        ? null
        : (t.checkpoints.filter((c) => Date.parse(c.at) >= from).sort((a, b) => a.at.localeCompare(b.at))[0]?.at ??
          t.jobFinishedAt);
  } else {
    detection = first?.ended_at;
    reroute = second?.started_at;
    resumed = second
      ? (t.checkpoints.filter((c) => c.epoch === second.epoch).sort((a, b) => a.at.localeCompare(b.at))[0]?.at ??
        t.jobFinishedAt)
      : null;
  }
  return {
    fault_to_detection: seconds(t.faultAtMs, detection),
    to_reroute: seconds(t.faultAtMs, reroute),
    to_resumed_writing: seconds(t.faultAtMs, resumed),
    to_writing_again: t.scenario === 'coordinator-failover' ? null : seconds(t.faultAtMs, t.secondWritingAt),
  };
}

/**
 * Bytes the next attempt read again that the failed attempt had already read: the failed
 * attempt's last reported progress minus the checkpoint the next attempt resumed from (0 for a
 * fresh restart). Never negative; 0 when there was no next attempt.
 */
export function rereadBytes(
  lastReportedBytes: number | null,
  resumedFromBytes: number | null,
  restarted: boolean,
): number {
  if (!restarted || lastReportedBytes === null) return 0;
  return Math.max(0, lastReportedBytes - (resumedFromBytes ?? 0));
}

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
