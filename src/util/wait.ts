/** Polling with a deadline, for the drill's waits on the catalog, the coordinator and processes. */

export class DrillTimeout extends Error {
  constructor(what: string, seconds: number) {
    super(`timed out after ${seconds} s waiting for ${what}`);
    this.name = 'DrillTimeout';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Calls `fn` every `everyMs` until it returns a truthy value; throws DrillTimeout after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new DrillTimeout(what, Math.round(timeoutMs / 1000));
    await sleep(everyMs);
  }
}
