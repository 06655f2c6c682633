/** A workflow's live views as an async iterator, from a follower that calls back with each one. */

/** Yields each view `follow` reports, in order, and ends when `follow` settles (its error is not rethrown: `result()` says). */
export async function* liveViews<V>(follow: (onView: (view: V) => void) => Promise<unknown>): AsyncGenerator<V> {
  const views: V[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const ended = follow((view) => {
    views.push(view);
    wake?.();
  }).finally(() => {
    done = true;
    wake?.();
  });
  ended.catch(() => undefined);
  for (;;) {
    const view = views.shift();
    if (view) yield view;
    else if (done) break;
    else await new Promise<void>((r) => (wake = r));
  }
}
