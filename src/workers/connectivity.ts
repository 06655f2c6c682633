/**
 * Watches this node's link to Temporal. The backup service asks it before every write: a node
 * that has not reached Temporal for longer than the heartbeat timeout assumes its work moved
 * elsewhere and stops writing on its own (invariant 1).
 */
import type { ConnectionLike } from '@temporalio/client';

export class ConnectivityWatch {
  private lastOk = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = false;

  constructor(
    private readonly connection: ConnectionLike,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.probe(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  msSinceReached(): number {
    return Date.now() - this.lastOk;
  }

  private async probe(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await this.connection.withDeadline(Date.now() + 2000, () => this.connection.workflowService.getSystemInfo({}));
      this.lastOk = Date.now();
    } catch {
      // Not reached; lastOk stays where it was.
    } finally {
      this.inFlight = false;
    }
  }
}
