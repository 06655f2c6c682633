/**
 * A first-come first-served lock for workflow code: handlers that await activities run one at a
 * time, so each sees the state the previous one left. Plain promises, so it is deterministic.
 */
export class Lock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
