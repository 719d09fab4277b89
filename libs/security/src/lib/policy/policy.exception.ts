import { WardenError } from '@warden/contracts';

export enum PolicyErrorCode {
  /** A compiled policy (e.g. read back from a cache) is not well formed: callers fail closed. */
  MalformedPolicy = 'POLICY_MALFORMED',
  /** A column mapping for `toSqlFilter` is missing or is not a plain SQL identifier. */
  InvalidColumn = 'POLICY_INVALID_COLUMN',
}

/** A programming or configuration error of the policy core; never carries a sensitive value. */
export class PolicyError extends WardenError {
  readonly status = 500;
  constructor(
    readonly code: PolicyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
