/** The verified caller of a request, built from its access token. */
export type Principal = {
  userId: string;
  sessionId: string;
  username: string;
  roles: string[];
  teamId: string | null;
  /** Token issue time, epoch seconds (checked against user-wide revocation markers). */
  issuedAt: number;
  /**
   * The user's policy version as read together with the revocation markers when the request was
   * authenticated (`raw`: the value of `warden:policy-version:<userId>`, null when none is set), so
   * that the policy client needs no Redis read of its own. It is used only for the user it was
   * read for; absent (the principal did not come through the guard), the policy client reads the
   * version itself.
   */
  policyVersionAtAuth?: { userId: string; raw: string | null };
};

/** The claims Warden's access tokens carry besides the registered ones (iss, aud, sub, iat, exp). */
export type AccessTokenClaims = {
  sid: string;
  username: string;
  roles: string[];
  teamId: string | null;
};
