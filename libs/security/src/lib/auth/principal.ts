/** The verified caller of a request, built from its access token. */
export type Principal = {
  userId: string;
  sessionId: string;
  username: string;
  roles: string[];
  teamId: string | null;
  /** Token issue time, epoch seconds (checked against user-wide revocation markers). */
  issuedAt: number;
};

/** The claims Warden's access tokens carry besides the registered ones (iss, aud, sub, iat, exp). */
export type AccessTokenClaims = {
  sid: string;
  username: string;
  roles: string[];
  teamId: string | null;
};
