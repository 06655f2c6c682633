/**
 * Where a coordinator's history has its configure updates and its observations (its local
 * activities' markers), by position in `events`: for replay.test's checks of the recorded
 * histories behind the patches coordinator-observes-between-configures and
 * coordinator-hears-host-by-signal.
 */

/** The fields read here, as both the client's history events and a recorded history's JSON have them. */
interface EventLike {
  markerRecordedEventAttributes?: { markerName?: string | null } | null;
  workflowExecutionUpdateAcceptedEventAttributes?: {
    protocolInstanceId?: string | null;
    acceptedRequest?: { input?: { name?: string | null } | null } | null;
  } | null;
  workflowExecutionUpdateCompletedEventAttributes?: { meta?: { updateId?: string | null } | null } | null;
}

/** Each configure's acceptance and completion (-1 while it runs). */
export function configureSpans(events: EventLike[]): { accepted: number; completed: number }[] {
  return events.flatMap((e, accepted) => {
    const update = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (update?.acceptedRequest?.input?.name !== 'configure') return [];
    const completed = events.findIndex(
      (d) => d.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId === update.protocolInstanceId,
    );
    return [{ accepted, completed }];
  });
}

/**
 * The observations: every local activity's marker (observeHost, or reportHost behind the patch
 * coordinator-hears-host-by-signal: the coordinator's only local activities).
 */
export function observationsAt(events: EventLike[]): number[] {
  return events.flatMap((e, i) => (e.markerRecordedEventAttributes?.markerName === 'core_local_activity' ? [i] : []));
}

/** The observations recorded while a configure ran. */
export function observationsDuringConfigures(events: EventLike[]): number[] {
  const spans = configureSpans(events);
  return observationsAt(events).filter((o) =>
    spans.some(({ accepted, completed }) => o > accepted && (completed < 0 || o < completed)),
  );
}
