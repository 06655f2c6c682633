import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { nodeQueue, waitQueue } from '../../../src/model/names';
import {
  clusterDynamicConfig,
  dynamicConfigYaml,
  NODE_QUEUE_LONG_POLL,
  unconstrained,
} from '../../../src/model/server-dynamic-config';

const LONG_POLL = 'matching.longPollExpirationInterval';

void test("a cluster's dynamic config: 60 s long polls on each node queue and waits queue of each cluster, 1 s on the others", () => {
  const config = clusterDynamicConfig([
    { cluster: 'east', nodes: ['n1', 'n2'] },
    { cluster: 'west', nodes: ['n1'] },
  ]);
  assert.deepEqual(config[LONG_POLL], [
    { value: NODE_QUEUE_LONG_POLL, constraints: { taskQueueName: nodeQueue('east', 'n1') } },
    { value: NODE_QUEUE_LONG_POLL, constraints: { taskQueueName: nodeQueue('east', 'n2') } },
    { value: NODE_QUEUE_LONG_POLL, constraints: { taskQueueName: waitQueue('east') } },
    { value: NODE_QUEUE_LONG_POLL, constraints: { taskQueueName: nodeQueue('west', 'n1') } },
    { value: NODE_QUEUE_LONG_POLL, constraints: { taskQueueName: waitQueue('west') } },
    { value: '1s' },
  ]);
  assert.deepEqual(config['limit.historyCount.suggestContinueAsNew'], [{ value: 1000 }]);
  assert.deepEqual(config['history.maxInFlightUpdates'], [{ value: 100 }]);
});

void test('the file parses as the server reads it: each key a list of a value and its constraints', () => {
  const yaml = dynamicConfigYaml(clusterDynamicConfig([{ cluster: 'prod', nodes: ['node-1'] }]));
  assert.deepEqual(parse(yaml), {
    [LONG_POLL]: [
      { value: '60s', constraints: { taskQueueName: 'baton-prod-node-node-1' } },
      { value: '60s', constraints: { taskQueueName: 'baton-prod-waits' } },
      { value: '1s', constraints: {} },
    ],
    'limit.historyCount.suggestContinueAsNew': [{ value: 1000, constraints: {} }],
    'history.maxInFlightUpdates': [{ value: 100, constraints: {} }],
  });
  assert.equal(dynamicConfigYaml({}), '{}\n');
  assert.deepEqual(parse(dynamicConfigYaml(unconstrained({ 'a.b': true }))), {
    'a.b': [{ value: true, constraints: {} }],
  });
});
