import { Injectable, Logger } from '@nestjs/common';
import { accessStreamId, type AccessEvent } from '@warden/contracts';
import { BatchedAppender, type CommandMetadata } from '@warden/event-store';
import { AccessAuditUnavailableError } from './access.exception';

/**
 * Records read events (`CustomerViewed`, `CustomersListed`, …) on the reader's access stream
 * (`access-<userId>`) through the batched appender. Resolves once the event is committed; a
 * failure is `ACCESS_AUDIT_UNAVAILABLE` (503), so that no read is answered without its event.
 */
@Injectable()
export class AccessRecorder {
  private readonly logger = new Logger(AccessRecorder.name);

  constructor(private readonly appender: BatchedAppender) {}

  async record(readerId: string, events: AccessEvent | readonly AccessEvent[], metadata: CommandMetadata): Promise<void> {
    const list: readonly AccessEvent[] = Array.isArray(events) ? events : [events as AccessEvent];
    try {
      await this.appender.record(accessStreamId(readerId), list, metadata);
    } catch (error) {
      // Only the types: event data holds ids and field names, but the error text is the driver's.
      this.logger.error(
        { types: list.map((event) => event.type), err: (error as Error).name },
        'an access event could not be recorded',
      );
      throw new AccessAuditUnavailableError();
    }
  }
}
