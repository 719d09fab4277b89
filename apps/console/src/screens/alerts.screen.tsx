import {
  Anchor,
  Badge,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { AlertView } from '../api/alerts.api';
import { StreamBadge, useAlertFeed } from '../components/alert-feed';
import { EmptyState, LoadError, Loading } from '../components/states';
import { alertStatusDisplay, isClosed, ruleLabel, severityColor, timeAgo } from '../lib/alerts.util';
import { formatDateTime } from '../lib/format.util';

const VIEWS = [
  { value: 'active', label: 'Needs action' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'closed', label: 'Closed' },
  { value: 'all', label: 'All' },
];

const inView = (view: string) => (alert: AlertView) => {
  switch (view) {
    case 'active':
      return !isClosed(alert.status);
    case 'closed':
      return isClosed(alert.status);
    case 'all':
      return true;
    default:
      return alert.status === view;
  }
};

/** The live alert feed: the latest alerts, updated as the detection service raises and changes them. */
export function AlertsScreen() {
  const feed = useAlertFeed();
  const [view, setView] = useState('active');
  const now = new Date();
  const shown = (feed.alerts ?? []).filter(inView(view));

  return (
    <Stack>
      <Group justify="space-between" align="center">
        <Title order={2}>Alerts</Title>
        <StreamBadge stream={feed.stream} />
      </Group>
      <Text size="sm" c="dimmed">
        Alerts arrive here live while this console is open (you get a notification on any screen). Open one to
        see its evidence and the person&apos;s recent activity, then acknowledge or resolve it.
      </Text>
      <VisuallyHidden aria-live="polite" data-testid="alert-announcement">
        {feed.announcement}
      </VisuallyHidden>
      <SegmentedControl
        data={VIEWS}
        value={view}
        onChange={setView}
        aria-label="Which alerts to show"
        w="fit-content"
      />
      {feed.isPending && <Loading label="Loading alerts" />}
      {Boolean(feed.error) && <LoadError what="alerts" error={feed.error} />}
      {feed.alerts && shown.length === 0 && (
        <EmptyState title={view === 'active' ? 'Nothing needs your attention' : 'No alerts here'}>
          {view === 'active'
            ? 'No open or acknowledged alert. New alerts appear here as soon as a rule fires; adjust the rules under "Detection rules".'
            : 'Choose another view above to see other alerts.'}
        </EmptyState>
      )}
      {shown.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover aria-label="Alerts" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Rule</Table.Th>
                <Table.Th>What happened</Table.Th>
                <Table.Th>User</Table.Th>
                <Table.Th>Seen</Table.Th>
                <Table.Th>Last</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((alert) => {
                const status = alertStatusDisplay(alert.status);
                return (
                  <Table.Tr key={alert.id} data-testid={`alert-row-${alert.id}`}>
                    <Table.Td miw={100}>
                      <Badge color={severityColor(alert.severity)} variant="filled">
                        {alert.severity}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Anchor component={Link} to={`/security/alerts/${alert.id}`} fw={600}>
                        {ruleLabel(alert.rule)}
                      </Anchor>
                    </Table.Td>
                    <Table.Td maw={360}>
                      <Text size="sm">{alert.summary}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace">
                        {alert.userId ?? 'a network'}
                      </Text>
                    </Table.Td>
                    <Table.Td>{alert.count}×</Table.Td>
                    <Table.Td title={formatDateTime(alert.lastSeenAt)}>
                      {timeAgo(alert.lastSeenAt, now)}
                    </Table.Td>
                    <Table.Td miw={140}>
                      <Badge color={status.color} variant="light">
                        {status.label}
                      </Badge>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
