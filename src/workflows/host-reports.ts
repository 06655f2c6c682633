/**
 * The host reports a coordinator run asked for (COORDINATOR_HEARS_HOST_BY_SIGNAL): each request is
 * numbered, and the reports that came back by signal wait here until the coordinator acts on them.
 * A report for a request already answered is dropped: it comes from a node that took the request,
 * froze, and came back after another node answered it.
 */
import type { HostReport } from '../model/coordinator';

export class HostReports {
  private asked = 0;
  private heard = 0;
  private waiting: HostReport[] = [];

  /** The number of the next request. */
  nextAsk(): number {
    return ++this.asked;
  }

  /** A report arrived (its signal); a stale one is dropped. */
  received(report: HostReport): void {
    if (report.ask <= this.heard) return;
    this.heard = report.ask;
    this.waiting.push(report);
  }

  /** Whether reports wait to be acted on. */
  pending(): boolean {
    return this.waiting.length > 0;
  }

  /** The reports to act on, oldest first; they leave the queue. */
  take(): HostReport[] {
    const taken = this.waiting;
    this.waiting = [];
    return taken;
  }
}
