import type { MissionApi } from './mission-api';

/** One event of the trail as `GET /v1/audit/events` returns it (the envelope as stored, network data at the reader's level). */
export type TrailEvent = {
  eventId: string;
  type: string;
  streamId: string;
  streamVersion: number;
  occurredAt: string;
  correlationId: string;
  actor: { userId: string | null; ip: string | null; deviceId: string | null };
  data: Record<string, unknown>;
};
export type TrailItem = { position: number; topic: string; event: TrailEvent };
type TrailPage = { items: TrailItem[]; nextCursor: string | null };

/** Every event of a search of the trail (all pages, 500 at a time), newest first. */
export async function searchTrail(api: MissionApi, token: string, filters: Record<string, string> = {}): Promise<TrailItem[]> {
  const items: TrailItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = new URLSearchParams({ ...filters, limit: '500', ...(cursor ? { cursor } : {}) }).toString();
    const page: TrailPage = await api.expectOk<TrailPage>(`audit search ${query}`, 200, api.call<TrailPage>('audit', `/v1/audit/events?${query}`, { token }));
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** The trail's events of some types (comma-separated, as the API takes them), optionally of one actor. */
export const eventsOfType = async (api: MissionApi, token: string, type: string, actor?: string): Promise<TrailEvent[]> =>
  (await searchTrail(api, token, { type, ...(actor ? { actor } : {}) })).map((item) => item.event);

/** Kinds of problems verification names (apps/audit `VerificationProblem`). */
export type VerificationProblem = {
  kind: 'altered' | 'removed' | 'inserted' | 'reordered' | 'checkpoint';
  position: number | null;
  eventId: string | null;
  streamId: string | null;
  streamVersion: number | null;
  detail: string;
};
export type Verification = {
  ok: boolean;
  treeSize: number;
  eventsChecked: number;
  checkpointsChecked: number;
  problemCount: number;
  problems: VerificationProblem[];
};
