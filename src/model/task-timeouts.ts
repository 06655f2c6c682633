/**
 * How long a workflow task may stay with the worker that took it. A frozen node process (SIGSTOP,
 * a long GC pause, a paused VM, a hung mount) keeps its TCP connections and its long polls open,
 * so the server can hand it a workflow task and wait this long before giving the task to another
 * node. Temporal's default is 10 s; Baton's workflows (coordinator, backup, restore and verify
 * jobs) start with 2 s: their tasks take milliseconds, and a replay of a whole history (a node
 * that did not have the workflow cached) stays under it when histories are short: jobs keep
 * progress in heartbeats, and the coordinator continues as new at 300 events (COORDINATOR_RUN_EVENTS
 * in src/workflows/coordinator.ts) or when the server suggests it (at 1000 events,
 * src/devtools/dev-server.ts). docs/drills.md has the figures.
 */
export const WORKFLOW_TASK_TIMEOUT = '2s';
