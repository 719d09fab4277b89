/** Quotes a schema name for SQL; schema names are fixed identifiers from config, never user input. */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid schema name "${schema}": use lowercase letters, digits and underscores`);
  }
  return `"${schema}"`;
}

export const EVENT_COLUMNS = `global_position, event_id, stream_id, stream_version, type, schema_version,
  occurred_at, actor, correlation_id, causation_id, data, prev_hash, hash, transaction_id::text AS transaction_id`;

export type EventRow = {
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  occurred_at: Date;
  actor: EventRowActor;
  correlation_id: string;
  causation_id: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  transaction_id: string;
};
type EventRowActor = {
  userId: string;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  deviceId: string | null;
};
