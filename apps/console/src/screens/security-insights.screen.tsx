import { Anchor, Badge, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ReactElement } from 'react';
import { Link } from 'react-router-dom';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { hasRole } from '../auth/jwt.util';
import { useAlertFeed } from '../components/alert-feed';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useClaims, useConsole } from '../console-context';
import { isClosed, severityColor } from '../lib/alerts.util';
import { formatDateTime } from '../lib/format.util';
import {
  DEPARTING_EVENT_TYPES,
  departingFromTrail,
  exportRowsPerDay,
  loginLocations,
  loginsPerHour,
  type DepartingUser,
} from '../lib/security.util';

const DAY = 86_400_000;
const since = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Departing users, where people sign in from, exports and failed sign-ins over time (from the audit trail). */
export function SecurityInsightsScreen() {
  return (
    <Stack>
      <Title order={2}>Security insights</Title>
      <DepartingWatchList />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <ExportsChart />
        <LoginsChart />
      </SimpleGrid>
      <LoginLocations />
    </Stack>
  );
}

/**
 * The departing users: `GET /v1/users?status=departing` for admins; for the other roles derived from
 * the trail's status events (auditors may not read the directory, and the trail says when a departure
 * takes effect).
 */
function DepartingWatchList() {
  const claims = useClaims();
  const { authorization, audit } = useConsole();
  const feed = useAlertFeed();
  const admin = hasRole(claims, 'admin');
  const departing = useQuery({
    queryKey: ['security', 'departing', admin],
    queryFn: async (): Promise<{ users: DepartingUser[]; source: string; truncated: boolean }> => {
      if (admin) {
        const page = await authorization.users({ status: 'departing', limit: 200 });
        return {
          users: page.items.map((u) => ({ userId: u.id, since: u.updatedAt, effectiveAt: null })),
          source: 'the directory',
          truncated: page.nextCursor !== null,
        };
      }
      const events = await audit.collect({ type: DEPARTING_EVENT_TYPES.join(','), from: since(366 * DAY) });
      return {
        users: departingFromTrail(events.items),
        source: 'the audit trail',
        truncated: events.truncated,
      };
    },
  });
  const openAlerts = (userId: string) =>
    (feed.alerts ?? []).filter((a) => a.userId === userId && !isClosed(a.status));
  return (
    <Paper withBorder p="md">
      <Title order={3} size="h4" mb="xs">
        Departing users
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        People who are leaving are watched more closely (the “Activity of a departing user” rule fires on any
        export). Their open alerts are shown here.
      </Text>
      {departing.isPending && <Loading label="Loading departing users" />}
      {departing.error && <LoadError what="departing users" error={departing.error} />}
      {departing.data && departing.data.users.length === 0 && (
        <EmptyState title="Nobody is departing">
          HR marks a person as departing when it starts an offboarding with a future date; they appear here
          until their access is frozen.
        </EmptyState>
      )}
      {departing.data && departing.data.users.length > 0 && (
        <Table.ScrollContainer minWidth={720}>
          <Table aria-label="Departing users" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Leaves</Table.Th>
                <Table.Th>Departing since</Table.Th>
                <Table.Th>Open alerts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {departing.data.users.map((user) => {
                const open = openAlerts(user.userId);
                return (
                  <Table.Tr key={user.userId}>
                    <Table.Td ff="monospace">{user.userId}</Table.Td>
                    <Table.Td>{formatDateTime(user.effectiveAt)}</Table.Td>
                    <Table.Td>{formatDateTime(user.since)}</Table.Td>
                    <Table.Td>
                      {open.length === 0
                        ? 'none'
                        : open.map((a) => (
                            <Anchor key={a.id} component={Link} to={`/security/alerts/${a.id}`} mr={4}>
                              <Badge color={severityColor(a.severity)}>{a.rule}</Badge>
                            </Anchor>
                          ))}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {departing.data && (
        <Text size="xs" c="dimmed" mt="xs">
          From {departing.data.source}
          {departing.data.truncated ? ' (the first pages only)' : ''}.
        </Text>
      )}
    </Paper>
  );
}

/** A chart with its title, or (`empty` given) what its absence means instead of a flat chart. */
function ChartPanel({
  id,
  title,
  empty,
  children,
}: {
  id: string;
  title: string;
  empty: string | null;
  children: ReactElement;
}) {
  return (
    <Paper withBorder p="md">
      <Text size="sm" fw={600} mb="xs" id={id}>
        {title}
      </Text>
      {empty ? (
        <Text size="sm" c="dimmed">
          {empty}
        </Text>
      ) : (
        <div role="img" aria-labelledby={id} style={{ height: 220 }}>
          <ResponsiveContainer width="100%" height="100%">
            {children}
          </ResponsiveContainer>
        </div>
      )}
    </Paper>
  );
}

function ExportsChart() {
  const { audit } = useConsole();
  const events = useQuery({
    queryKey: ['security', 'exports-completed'],
    queryFn: () => audit.collect({ type: 'ExportCompleted', from: since(14 * DAY) }),
  });
  if (events.isPending) return <Loading label="Loading exports" />;
  if (events.error) return <LoadError what="exports" error={events.error} />;
  const data = exportRowsPerDay(events.data.items, new Date());
  const empty = data.every((day) => day.rows === 0)
    ? 'No export completed in the last 14 days; each finished export adds its rows here.'
    : null;
  return (
    <ChartPanel id="chart-export-rows" title="Rows exported per day (last 14 days, all users)" empty={empty}>
      <BarChart data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="day" fontSize={11} />
        <YAxis allowDecimals={false} fontSize={11} width={48} />
        <Tooltip />
        <Bar dataKey="rows" name="rows exported" fill="#4c6ef5" isAnimationActive={false} />
      </BarChart>
    </ChartPanel>
  );
}

function LoginsChart() {
  const { audit } = useConsole();
  const events = useQuery({
    queryKey: ['security', 'logins-24h'],
    queryFn: () => audit.collect({ type: 'LoginFailed,LoginSucceeded', from: since(DAY) }),
  });
  if (events.isPending) return <Loading label="Loading sign-ins" />;
  if (events.error) return <LoadError what="sign-ins" error={events.error} />;
  const data = loginsPerHour(events.data.items, new Date());
  const empty = data.every((hour) => hour.failures === 0 && hour.successes === 0)
    ? 'Nobody signed in, or failed to, in the last 24 hours.'
    : null;
  return (
    <ChartPanel id="chart-login-failures" title="Sign-in failures per hour (last 24 hours)" empty={empty}>
      <BarChart data={data}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="hour" fontSize={11} />
        <YAxis allowDecimals={false} fontSize={11} width={40} />
        <Tooltip />
        <Legend />
        <Bar dataKey="failures" name="failed" fill="#fa5252" isAnimationActive={false} />
        <Bar dataKey="successes" name="succeeded" fill="#40c057" isAnimationActive={false} />
      </BarChart>
    </ChartPanel>
  );
}

function LoginLocations() {
  const { audit } = useConsole();
  const events = useQuery({
    queryKey: ['security', 'login-locations'],
    queryFn: () => audit.collect({ type: 'LoginSucceeded', from: since(7 * DAY) }),
  });
  const rows = events.data ? loginLocations(events.data.items) : [];
  return (
    <Paper withBorder p="md">
      <Title order={3} size="h4" mb="xs">
        Sign-in locations (last 7 days)
      </Title>
      {events.isPending && <Loading label="Loading sign-in locations" />}
      {events.error && <LoadError what="sign-in locations" error={events.error} />}
      {events.data && rows.length === 0 && (
        <EmptyState title="No sign-ins in the last 7 days">
          Sign-ins appear here once the audit trail has them.
        </EmptyState>
      )}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped aria-label="Sign-in locations">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Place</Table.Th>
                <Table.Th>Network</Table.Th>
                <Table.Th>Addresses</Table.Th>
                <Table.Th>Sign-ins (with MFA)</Table.Th>
                <Table.Th>Last</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={`${row.userId}|${row.country}|${row.city}`}>
                  <Table.Td ff="monospace">{row.userId}</Table.Td>
                  <Table.Td>
                    {[row.city, row.country].filter(Boolean).join(', ') || 'unknown (private address)'}
                  </Table.Td>
                  <Table.Td>{row.network ?? '—'}</Table.Td>
                  <Table.Td>{row.ips.join(', ') || '—'}</Table.Td>
                  <Table.Td>
                    {row.logins} ({row.mfa})
                  </Table.Td>
                  <Table.Td>{formatDateTime(row.lastAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {events.data?.truncated && (
        <Text size="xs" c="dimmed" mt="xs">
          Only the latest {events.data.items.length} sign-ins are counted.
        </Text>
      )}
    </Paper>
  );
}
