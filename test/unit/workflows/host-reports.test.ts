/**
 * HostReports: numbered requests, reports queued in arrival order, and a report for a request
 * already answered (a node that froze mid-request and came back late) dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostReport } from '../../../src/model/coordinator';
import { HostReports } from '../../../src/workflows/host-reports';

const report = (ask: number, node: string): HostReport => ({ ask, node, error: `from ${node}` });

test('requests are numbered from 1 and reports wait until taken', () => {
  const reports = new HostReports();
  assert.deepEqual([reports.nextAsk(), reports.nextAsk()], [1, 2]);
  assert.equal(reports.pending(), false);
  reports.received(report(1, 'node-1'));
  reports.received(report(2, 'node-1'));
  assert.equal(reports.pending(), true);
  assert.deepEqual(
    reports.take().map((r) => r.ask),
    [1, 2],
  );
  assert.equal(reports.pending(), false);
  assert.deepEqual(reports.take(), []);
});

test('a second report for an answered request, or an older one, is dropped', () => {
  const reports = new HostReports();
  reports.nextAsk();
  reports.nextAsk();
  reports.received(report(1, 'node-2'));
  // node-1 took request 1, froze, and came back after node-2 answered it
  reports.received(report(1, 'node-1'));
  reports.received(report(2, 'node-2'));
  assert.deepEqual(
    reports.take().map((r) => r.node),
    ['node-2', 'node-2'],
  );
  reports.received(report(2, 'node-1'));
  reports.received(report(1, 'node-1'));
  assert.equal(reports.pending(), false);
});
