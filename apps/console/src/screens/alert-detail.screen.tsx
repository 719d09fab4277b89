import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Radio,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import type { AlertResolution, AlertView } from '../api/alerts.api';
import { ApiError, describeError } from '../api/api-error';
import { ALERT_HANDLER_ROLES, AUDIT_ROLES, hasRole } from '../auth/jwt.util';
import { FEED_KEY } from '../components/alert-feed';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useClaims, useConsole } from '../console-context';
import {
  actorDigest,
  alertStatusDisplay,
  evidenceDigest,
  isClosed,
  ruleLabel,
  severityColor,
} from '../lib/alerts.util';
import { formatDateTime } from '../lib/format.util';

const TIMELINE_DAYS = 7;
const TIMELINE_ROWS = 25;

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm">{children}</Text>
    </div>
  );
}

/** One alert: what fired and why, its evidence events, the person's recent activity; acknowledge or resolve. */
export function AlertDetailScreen() {
  const { id = '' } = useParams();
  const claims = useClaims();
  const { alerts } = useConsole();
  const queryClient = useQueryClient();
  const alert = useQuery({ queryKey: ['alert', id], queryFn: () => alerts.get(id) });
  const handler = hasRole(claims, ...ALERT_HANDLER_ROLES);

  const changed = (view: AlertView, message: string) => {
    notifySuccess(message);
    queryClient.setQueryData<AlertView[]>(FEED_KEY, (list) =>
      list?.map((item) => (item.id === view.id ? { ...item, ...view } : item)),
    );
    void queryClient.invalidateQueries({ queryKey: ['alert', id] });
  };
  const acknowledge = useMutation({
    mutationFn: () => alerts.acknowledge(id),
    onSuccess: (view) => changed(view, 'Alert acknowledged: others see that you are on it.'),
    onError: (error) => notifyError('Could not acknowledge the alert', error),
  });

  if (alert.isPending) return <Loading label="Loading the alert" />;
  if (alert.error) return <LoadError what="the alert" error={alert.error} />;
  const a = alert.data;
  const status = alertStatusDisplay(a.status);
  return (
    <Stack>
      <Anchor component={Link} to="/security/alerts" size="sm">
        ← All alerts
      </Anchor>
      <Group gap="sm">
        <Badge color={severityColor(a.severity)} variant="filled" size="lg">
          {a.severity}
        </Badge>
        <Title order={2}>{ruleLabel(a.rule)}</Title>
        <Badge color={status.color} variant="light" size="lg" data-testid="alert-status">
          {status.label}
        </Badge>
      </Group>
      <Paper withBorder p="md">
        <Text fw={600} mb="sm" data-testid="alert-summary">
          {a.summary}
        </Text>
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          <Fact label="User">{a.userId ?? 'none (a network)'}</Fact>
          <Fact label="First seen">{formatDateTime(a.firstSeenAt)}</Fact>
          <Fact label="Last seen">{formatDateTime(a.lastSeenAt)}</Fact>
          <Fact label="Times / score">
            {a.count}× · {a.score}
          </Fact>
          {a.acknowledgedBy && (
            <Fact label="Acknowledged">{`${a.acknowledgedBy} · ${formatDateTime(a.acknowledgedAt)}`}</Fact>
          )}
          {a.resolvedBy && <Fact label="Closed">{`${a.resolvedBy} · ${formatDateTime(a.resolvedAt)}`}</Fact>}
          {a.comment && <Fact label="Comment">“{a.comment}”</Fact>}
          {a.responses.length > 0 && <Fact label="Automated responses">{a.responses.length}</Fact>}
        </SimpleGrid>
      </Paper>
      {handler && !isClosed(a.status) && (
        <Paper withBorder p="md">
          <Stack>
            {a.status === 'open' && (
              <Group>
                <Button loading={acknowledge.isPending} onClick={() => acknowledge.mutate()}>
                  Acknowledge
                </Button>
                <Text size="sm" c="dimmed">
                  Tells the other officers you are looking into it.
                </Text>
              </Group>
            )}
            <ResolveForm
              id={id}
              onResolved={(view) =>
                changed(view, `Alert closed as ${alertStatusDisplay(view.status).label}.`)
              }
            />
          </Stack>
        </Paper>
      )}
      <Title order={3} size="h4">
        Evidence
      </Title>
      {a.evidenceEvents.length === 0 ? (
        <EmptyState title="No evidence events stored">
          The alert cites {a.evidence.length} event(s) the service no longer holds a copy of; search them in
          the audit trail by their ids: {a.evidence.join(', ') || '—'}.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={800}>
          <Table striped aria-label="Evidence events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {a.evidenceEvents.map((event) => (
                <Table.Tr key={event.eventId}>
                  <Table.Td>{formatDateTime(event.occurredAt)}</Table.Td>
                  <Table.Td>{event.type}</Table.Td>
                  <Table.Td>{actorDigest(event.actor).ip}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{evidenceDigest(event)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {a.userId && hasRole(claims, ...AUDIT_ROLES) && <UserTimeline userId={a.userId} />}
    </Stack>
  );
}

function ResolveForm({ id, onResolved }: { id: string; onResolved: (view: AlertView) => void }) {
  const { alerts } = useConsole();
  const [resolution, setResolution] = useState<AlertResolution>('resolved');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const resolve = useMutation({
    mutationFn: () => alerts.resolve(id, resolution, comment.trim() || null),
    onSuccess: onResolved,
    onError: (e) => {
      setError(describeError(e));
      notifyError('Could not resolve the alert', e);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (comment.length > 1000) {
      setError('The comment may hold at most 1000 characters');
      return;
    }
    resolve.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="Resolve the alert">
      <Stack gap="sm">
        <Radio.Group
          label="Outcome"
          value={resolution}
          onChange={(value) => setResolution(value as AlertResolution)}
        >
          <Group mt={4}>
            <Radio value="resolved" label="Resolved (a real finding, dealt with)" />
            <Radio value="false_positive" label="False positive (undoes automated responses)" />
          </Group>
        </Radio.Group>
        <Textarea
          label="Comment"
          description="What you found or did; kept with the alert"
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          autosize
          minRows={2}
          maxLength={1000}
        />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group>
          <Button type="submit" color="green" loading={resolve.isPending}>
            Resolve
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The person's latest events from the audit trail (`GET /v1/audit/users/:id/activity`). */
function UserTimeline({ userId }: { userId: string }) {
  const { audit } = useConsole();
  const activity = useQuery({
    queryKey: ['audit', 'activity', userId, TIMELINE_DAYS],
    queryFn: () => audit.userActivity(userId, TIMELINE_DAYS),
  });
  const refused = activity.error instanceof ApiError && activity.error.status === 403;
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        The user&apos;s last {TIMELINE_DAYS} days
      </Title>
      {activity.isPending && <Loading label="Loading the user's activity" />}
      {refused && (
        <Text size="sm" c="dimmed">
          Your role may not read the audit trail, so the timeline is not shown.
        </Text>
      )}
      {activity.error && !refused && <LoadError what="the user's activity" error={activity.error} />}
      {activity.data && activity.data.timeline.length === 0 && (
        <EmptyState title="No activity recorded">
          The audit trail holds no event of this user in the period.
        </EmptyState>
      )}
      {activity.data && activity.data.timeline.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped aria-label="The user's recent activity">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {activity.data.timeline.slice(0, TIMELINE_ROWS).map((item) => (
                <Table.Tr key={item.event.eventId}>
                  <Table.Td>{formatDateTime(item.event.occurredAt)}</Table.Td>
                  <Table.Td>{item.event.type}</Table.Td>
                  <Table.Td>{item.event.actor.ip ?? '—'}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{evidenceDigest(item.event)}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {activity.data && (
        <Text size="xs" c="dimmed">
          {activity.data.eventCount} event(s) in the period
          {activity.data.truncated ? ' (more than shown)' : ''}.
        </Text>
      )}
    </Stack>
  );
}
