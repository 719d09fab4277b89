/**
 * What the detector sees of a consumed event: the few fields the rules need, normalised at the
 * edge (see `signal.util.ts`). Times are epoch milliseconds of the event's `occurredAt`, so a
 * replay or a late delivery is judged by when things happened, not when they were read.
 */

/** A point on the map with the radius the GeoIP database vouches for. */
export type GeoPoint = { lat: number; lon: number; accuracyKm: number };

type Base = { eventId: string; at: number };

export type LoginSucceededSignal = Base & {
  kind: 'login-succeeded';
  userId: string;
  ip: string | null;
  /** /24 (IPv4) or /48 (IPv6) prefix of the address: stands in for the ASN until a database exists. */
  network: string | null;
  deviceId: string | null;
  country: string | null;
  location: GeoPoint | null;
};

export type LoginFailedSignal = Base & {
  kind: 'login-failed';
  userId: string | null;
  /** The user id, else `name:<usernameHash>`: failures for unknown names still add up. */
  userKey: string;
  network: string | null;
};

export type ExportRequestedSignal = Base & {
  kind: 'export-requested';
  userId: string;
  exportId: string;
  network: string | null;
  country: string | null;
};

export type ExportCompletedSignal = Base & {
  kind: 'export-completed';
  userId: string;
  exportId: string;
  rowCount: number;
  clearFields: string[];
};

export type ExportDownloadedSignal = Base & {
  kind: 'export-downloaded';
  userId: string;
  exportId: string;
  network: string | null;
  country: string | null;
};

/** Customers viewed, listed or searched (`customers` of them), or a sensitive field revealed. */
export type CustomersAccessedSignal = Base & {
  kind: 'customers-accessed';
  userId: string;
  customers: number;
  reveals: number;
};

export type AccessDeniedSignal = Base & { kind: 'access-denied'; userId: string };

export type UserStatusSignal = Base & { kind: 'user-status'; userId: string; departing: boolean };

export type Signal =
  | LoginSucceededSignal
  | LoginFailedSignal
  | ExportRequestedSignal
  | ExportCompletedSignal
  | ExportDownloadedSignal
  | CustomersAccessedSignal
  | AccessDeniedSignal
  | UserStatusSignal;

export type SignalKind = Signal['kind'];
