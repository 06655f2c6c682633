/**
 * The one base class of every error a user should read as a message, not as a bug: bad config,
 * unknown app, a drive that is full, a server that does not answer. The CLI prints any BatonError
 * as one line (`baton: <message>`) and exits 1; anything else thrown is a bug and shows its stack.
 */
export class BatonError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request Baton refuses as asked (unknown app, a target that is not empty, no server): says what to do instead. */
export class UserError extends BatonError {}
