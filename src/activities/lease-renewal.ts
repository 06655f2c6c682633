/**
 * An attempt keeps its drive lease alive: it renews it at once and then every heartbeat timeout,
 * for LEASE_HEARTBEATS heartbeat timeouts each time. An attempt that dies (or freezes) stops
 * renewing, and another job may take the drive over when the lease lapses; this attempt, if it
 * comes back, is fenced by epoch. A renewal that fails (catalog unreachable) is logged and tried
 * again at the next tick: the lease then lapses as if the attempt were dead, which is safe.
 */
import { LEASE_HEARTBEATS, renewLease } from '../catalog/attempts';
import type { Catalog } from '../catalog/open';
import type { Logger } from 'pino';

export function leaseMsOf(heartbeatMs: number): number {
  return LEASE_HEARTBEATS * heartbeatMs;
}

/** Starts renewing; the returned function stops. */
export async function keepLease(
  catalog: Catalog,
  on: { jobId: string; epoch: number; heartbeatMs: number },
  log: Logger,
): Promise<() => void> {
  const renew = async (): Promise<void> => {
    const leaseMs = leaseMsOf(on.heartbeatMs);
    const held = await renewLease(catalog, { jobId: on.jobId, epoch: on.epoch, leaseMs }, new Date().toISOString());
    if (!held) log.warn('drive lease not held by this attempt any more: its next write is fenced');
  };
  await renew();
  const timer = setInterval(() => {
    renew().catch((err: unknown) => log.warn({ err }, 'drive lease renewal failed; trying again'));
  }, on.heartbeatMs);
  timer.unref();
  return () => clearInterval(timer);
}
