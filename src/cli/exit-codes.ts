/**
 * The exit codes of every `baton` command, restic's where they fit (docs/cli.md has the table).
 * `--json` or not, a command exits with the same code.
 */
import { EngineError } from '../engine/errors';
import { FollowInterrupted } from '../client/follow-interrupted';

export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** It failed: a bad request (one line says what to fix), a failed job, a damaged drive. */
  failed: 1,
  /** A backup committed its snapshot, but some files could not be read (each one is named). */
  incomplete: 3,
  /** The drive holds no repository (`baton repo init` makes one). */
  noRepository: 10,
  /** The drive's password did not open its key. */
  wrongPassword: 12,
  /** Ctrl-C (SIGINT): a local command stopped; a cluster job's follower stopped, the job runs on. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for an error a command ended with. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof FollowInterrupted) return EXIT.interrupted;
  if (err instanceof EngineError) {
    if (err.code === 'NO_DRIVE') return EXIT.noRepository;
    if (err.code === 'WRONG_PASSWORD') return EXIT.wrongPassword;
    if (err.code === 'ABORTED') return EXIT.interrupted;
  }
  return EXIT.failed;
}
