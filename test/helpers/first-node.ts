/**
 * CI runs the suite twice, on this machine's Node and on Node 24 (scripts/node24.sh). Tests whose
 * subject does not change with the Node runtime (Pacemaker, Temporal's history sizes, the engine
 * benchmark's peers) and that take minutes run on the first pass only: the second sets
 * BATON_TEST_SECOND_NODE=1 (docs/development.md).
 */
export function secondNodeSkip(): string | false {
  return process.env.BATON_TEST_SECOND_NODE === '1'
    ? 'BATON_TEST_SECOND_NODE=1: runs on the first Node only, its subject does not change with Node'
    : false;
}
