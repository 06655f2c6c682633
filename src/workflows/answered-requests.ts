/**
 * The backup requests a coordinator answered lately, by update ID. The server answers a repeat of an
 * update ID only in the run that took it; a requester whose try timed out after the coordinator
 * answered (a scheduled run's activity, retried under the same ID) can reach the next run
 * (continue-as-new), which without this list planned the request again: refused as "already has a
 * backup running" for its own job while that job ran, or a second backup once it had ended. The
 * list travels in the coordinator's state (CoordinatorSnapshot.answers); pure, so unit tests drive
 * it directly.
 */
import type { AnsweredRequest } from '../model/coordinator';

/**
 * How long an answer is kept: past the longest a requester retries under one update ID (a scheduled
 * run's request: 5 tries of at most 1 min each, 15 s of backoff in all between them; `baton backup`
 * retries a draining coordinator for less).
 */
export const ANSWERS_KEPT_MS = 10 * 60_000;

/** At most this many answers are kept, the newest (about 240 bytes each in the carried state). */
export const ANSWERS_KEPT = 2_000;

/** The answer given to `updateId` within ANSWERS_KEPT_MS before `nowMs`, if any. */
export function answerOf(answers: readonly AnsweredRequest[], updateId: string, nowMs: number): AnsweredRequest | null {
  const answer = answers.find((a) => a.updateId === updateId);
  return answer && nowMs - answer.atMs < ANSWERS_KEPT_MS ? answer : null;
}

/** `answers` with `answer` added, and without those older than ANSWERS_KEPT_MS or past ANSWERS_KEPT. */
export function withAnswer(answers: readonly AnsweredRequest[], answer: AnsweredRequest): AnsweredRequest[] {
  const kept = answers.filter((a) => answer.atMs - a.atMs < ANSWERS_KEPT_MS && a.updateId !== answer.updateId);
  kept.push(answer);
  return kept.length > ANSWERS_KEPT ? kept.slice(kept.length - ANSWERS_KEPT) : kept;
}

/** `answers` without those whose job is one of `jobIds`. */
export function withoutJobs(answers: readonly AnsweredRequest[], jobIds: readonly string[]): AnsweredRequest[] {
  return answers.filter((a) => !jobIds.includes(a.jobId));
}
