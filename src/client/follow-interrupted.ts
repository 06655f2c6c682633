/**
 * The follower of a job was stopped (Ctrl-C): the job itself runs on. Its own file, free of
 * Temporal, so `baton repo` (which loads the engine only) can tell it apart for its exit code.
 */
import { BatonError } from '../model/errors';

export class FollowInterrupted extends BatonError {
  constructor(readonly jobId: string) {
    super(
      `stopped following ${jobId}; the job keeps running: \`baton job ${jobId}\` shows it, ` +
        `\`baton job cancel ${jobId}\` cancels it`,
    );
  }
}
