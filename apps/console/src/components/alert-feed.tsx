import { Badge, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { AlertView } from '../api/alerts.api';
import type { StreamStatusChange } from '../api/event-stream';
import { ALERT_READER_ROLES, hasRole } from '../auth/jwt.util';
import { useClaims, useConsole } from '../console-context';
import { alertNotice, applyAlertEvent, parseAlertMessage, type AlertStreamEvent } from '../lib/alerts.util';

export const FEED_KEY = ['alerts', 'feed'] as const;

type AlertFeed = {
  /** The alert readers only: the others have no feed. */
  enabled: boolean;
  alerts: AlertView[] | undefined;
  isPending: boolean;
  error: unknown;
  stream: StreamStatusChange;
  /** The last stream event's summary, for the screen's live region. */
  announcement: string;
};

const AlertFeedContext = createContext<AlertFeed | null>(null);

/**
 * The live alert feed of the signed-in security officer, admin or auditor, on every screen: the
 * latest alerts (`GET /v1/alerts`) kept current by the SSE stream (`/v1/alerts/stream` through the
 * gateway, with the bearer token, resumed with `Last-Event-ID`). A new alert, or one raised to a
 * higher severity, shows a notification (visual only: no sound).
 */
export function AlertFeedProvider({ children }: { children: ReactNode }) {
  const claims = useClaims();
  const { alerts } = useConsole();
  const queryClient = useQueryClient();
  const enabled = hasRole(claims, ...ALERT_READER_ROLES);
  const [stream, setStream] = useState<StreamStatusChange>({ status: 'connecting' });
  const [announcement, setAnnouncement] = useState('');
  /** Events that arrived while the list was loading: applied once it is there. */
  const early = useRef<AlertStreamEvent[]>([]);
  const feed = useQuery({
    queryKey: FEED_KEY,
    queryFn: async () => (await alerts.list({ limit: 100 })).items,
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
  });

  useEffect(() => {
    if (!enabled) return undefined;
    const handle = alerts.stream({
      onStatus: (change) => {
        setStream(change);
        // A connection without Last-Event-ID starts now: load the list again so nothing before it is missed.
        if (change.status === 'live' && change.fresh)
          void queryClient.invalidateQueries({ queryKey: FEED_KEY });
      },
      onMessage: (message) => {
        const event = parseAlertMessage(message);
        if (!event) return;
        const before = queryClient.getQueryData<AlertView[]>(FEED_KEY);
        const known = before?.find((alert) => alert.id === event.data.alertId);
        if (before) queryClient.setQueryData<AlertView[]>(FEED_KEY, applyAlertEvent(before, event));
        else early.current.push(event);
        void queryClient.invalidateQueries({ queryKey: ['alert', event.data.alertId] });
        const notice = alertNotice(event, known);
        if (notice) {
          notifications.show({ ...notice, autoClose: 10_000 });
          setAnnouncement(`${notice.title}. ${notice.message}`);
        }
      },
    });
    return () => handle.close();
  }, [enabled, alerts, queryClient]);

  useEffect(() => {
    if (!feed.data || early.current.length === 0) return;
    const pending = early.current;
    early.current = [];
    queryClient.setQueryData<AlertView[]>(FEED_KEY, (list) => pending.reduce(applyAlertEvent, list ?? []));
  }, [feed.data, queryClient]);

  const value: AlertFeed = {
    enabled,
    alerts: feed.data,
    isPending: feed.isPending,
    error: feed.error,
    stream,
    announcement,
  };
  return <AlertFeedContext.Provider value={value}>{children}</AlertFeedContext.Provider>;
}

export function useAlertFeed(): AlertFeed {
  const feed = useContext(AlertFeedContext);
  if (!feed) throw new Error('useAlertFeed outside AlertFeedProvider');
  return feed;
}

/** Live / reconnecting / refused, in a badge with the reason. */
export function StreamBadge({ stream }: { stream: StreamStatusChange }) {
  const look: Record<string, { color: string; label: string }> = {
    connecting: { color: 'gray', label: 'Connecting…' },
    live: { color: 'green', label: 'Live' },
    reconnecting: {
      color: 'orange',
      label: `Reconnecting${stream.retryInMs ? ` in ${Math.ceil(stream.retryInMs / 1000)} s` : ''}`,
    },
    refused: { color: 'red', label: 'Not connected' },
    closed: { color: 'gray', label: 'Closed' },
  };
  const { color, label } = look[stream.status] ?? look.closed;
  return (
    <Tooltip label={stream.detail ?? 'New alerts appear here as they are raised'} withArrow>
      <Badge color={color} variant="dot" size="lg" data-testid="stream-status" tabIndex={0}>
        {label}
      </Badge>
    </Tooltip>
  );
}
