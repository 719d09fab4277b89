import { Injectable } from '@nestjs/common';

/**
 * Tells this instance's export worker that an export became ready to run (requested without
 * approval, or approved), so that it is claimed at once instead of at the worker's next poll
 * (`EXPORTS_POLL_MS`). Other instances still find it when they poll.
 */
@Injectable()
export class ExportQueueSignal {
  private listener: (() => void) | null = null;

  /** The worker's wake-up (one per instance). */
  onReady(listener: () => void): void {
    this.listener = listener;
  }

  ready(): void {
    this.listener?.();
  }
}
