/**
 * The retention activity run in-process on node n1 of cluster c (a mock activity context, a real
 * catalog): what a retention job's activity does to one drive, keeping each app's `keep`.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createRetentionActivities } from '../../src/activities/retention-activities';
import type { Catalog } from '../../src/catalog/open';
import type { RetentionOutcome } from '../../src/model/operations';
import type { DriveSpec } from '../../src/model/plan';
import { PASSWORD } from './engine';

export function applyRetentionOnN1(
  catalog: Catalog,
  drive: DriveSpec,
  jobId: string,
  keep: { last: number } = { last: 1 },
): Promise<RetentionOutcome> {
  return new MockActivityEnvironment().run<[], RetentionOutcome, () => Promise<RetentionOutcome>>(() =>
    createRetentionActivities({
      node: 'n1',
      logger: pino({ level: 'silent' }),
      catalog,
      password: PASSWORD,
    }).applyRetention({
      cluster: 'c',
      jobId,
      node: 'n1',
      drive,
      apps: [{ app: 'db', keep }],
    }),
  );
}
