export type SessionView = {
  id: string;
  userId: string;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  geo: { country: string | null; city: string | null; asn: number | null; asnOrg: string | null } | null;
  mfa: boolean;
  status: string;
  createdAt: string;
  lastUsedAt: string;
  revokedAt: string | null;
  revokeReason: string | null;
};
