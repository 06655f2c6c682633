/**
 * CI runs the suite twice, on this machine's Node and on Node 24 (scripts/node24.sh), and must stay
 * under an hour. The long tests whose subject is Temporal's or the cluster service's behaviour, not
 * the Node runtime (Pacemaker, history sizes, the engine benchmark's peers, task timeouts, restart
 * policy, job ends, apply, schedules, continue-as-new, failover figures, the drills), run on the
 * first pass only: the second sets BATON_TEST_SECOND_NODE=1 (docs/development.md). What Node 24
 * must carry, the native modules, the dev server, the CLI, backups, restores and the image, stays
 * in both.
 */
export function secondNodeSkip(): string | false {
  return process.env.BATON_TEST_SECOND_NODE === '1'
    ? 'BATON_TEST_SECOND_NODE=1: runs on the first Node only, its subject does not change with Node'
    : false;
}
