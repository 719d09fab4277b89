/** What the console reads from its access token (for display and navigation only; services verify it). */
export type TokenClaims = {
  userId: string;
  sessionId: string;
  username: string;
  roles: string[];
  teamId: string | null;
  /** Expiry, epoch seconds. */
  exp: number;
};

const base64UrlDecode = (part: string): string => {
  const base64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
};

/** The claims of a JWT without verifying it; null when it is not a JWT with the claims Warden issues. */
export function decodeAccessToken(token: string): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(base64UrlDecode(parts[1])) as Record<string, unknown>;
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
    return {
      userId: payload.sub,
      sessionId: typeof payload.sid === 'string' ? payload.sid : '',
      username: typeof payload.username === 'string' ? payload.username : payload.sub,
      roles: Array.isArray(payload.roles)
        ? payload.roles.filter((r): r is string => typeof r === 'string')
        : [],
      teamId: typeof payload.teamId === 'string' ? payload.teamId : null,
      exp: payload.exp,
    };
  } catch {
    return null;
  }
}

export const hasRole = (claims: TokenClaims | null, ...roles: string[]): boolean =>
  !!claims && roles.some((role) => claims.roles.includes(role));

/** Who reads the audit trail (the audit service answers 403 to anyone else). */
export const AUDIT_ROLES = ['auditor', 'security_officer', 'admin'] as const;
/** Who may approve exports: supervisors (for their teams) and security officers. */
export const APPROVER_ROLES = ['supervisor', 'security_officer'] as const;
/**
 * Who is shown "Exports" in the navigation: staff export their own customers with the default roles.
 * The screen itself is open to everyone (a grant may allow others) and asks the policy what is allowed.
 */
export const EXPORTER_ROLES = ['staff'] as const;
/** Who reads alerts and rules (the anomaly-alerting service answers 403 to anyone else). */
export const ALERT_READER_ROLES = ['security_officer', 'admin', 'auditor'] as const;
/** Who acknowledges and resolves alerts and changes rules. */
export const ALERT_HANDLER_ROLES = ['security_officer', 'admin'] as const;
/** Who may read the user directory (`GET /v1/users`, `GET /v1/users/:id`); other roles see user ids. */
export const DIRECTORY_ROLES = ['admin', 'hr', 'security_officer'] as const;
/** Who starts and follows offboardings. */
export const OFFBOARDING_ROLES = ['hr', 'admin'] as const;
