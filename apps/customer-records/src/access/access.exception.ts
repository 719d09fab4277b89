import { WardenError } from '@warden/contracts';

/**
 * A read could not be recorded (the access event's batch failed): the read is refused, since an
 * answered read must always be in the trail (fail closed).
 */
export class AccessAuditUnavailableError extends WardenError {
  readonly code = 'ACCESS_AUDIT_UNAVAILABLE';
  readonly status = 503;
  constructor() {
    super('the read could not be recorded in the access trail; try again later');
  }
}
