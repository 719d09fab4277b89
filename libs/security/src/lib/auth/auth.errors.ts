import { WardenError } from '@warden/contracts';

export class UnauthenticatedError extends WardenError {
  readonly code = 'UNAUTHENTICATED';
  readonly status = 401;
  constructor(message = 'a bearer access token is required') {
    super(message);
  }
}

/** Bad signature, unknown key, wrong algorithm, expired, wrong issuer or audience, malformed claims. */
export class InvalidTokenError extends WardenError {
  readonly code = 'INVALID_TOKEN';
  readonly status = 401;
  constructor(message = 'the access token is invalid or expired') {
    super(message);
  }
}

export class TokenRevokedError extends WardenError {
  readonly code = 'TOKEN_REVOKED';
  readonly status = 401;
  constructor() {
    super('the session has been revoked');
  }
}

export class ForbiddenError extends WardenError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

/** The revocation markers or the key set cannot be read: refuse rather than guess (fail closed). */
export class AuthUnavailableError extends WardenError {
  readonly code = 'AUTH_UNAVAILABLE';
  readonly status = 503;
}
