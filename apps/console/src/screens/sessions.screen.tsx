import {
  Badge,
  Button,
  Group,
  List,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MfaSetupPanel } from '../components/mfa-setup-panel';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useClaims, useConsole } from '../console-context';
import { describeUserAgent, formatDateTime, formatPlace, loginsPerDay } from '../lib/format.util';
import { totpCodeSchema, validate } from '../lib/validation.util';

/** Where the person is signed in, sign out everywhere, and new recovery codes. */
export function SessionsScreen() {
  const claims = useClaims();
  const { authorization, tokens } = useConsole();
  const queryClient = useQueryClient();
  const userId = claims?.userId ?? '';
  const [confirming, { open, close }] = useDisclosure(false);
  const sessions = useQuery({
    queryKey: ['sessions', userId],
    queryFn: () => authorization.sessions(userId),
    enabled: !!userId,
  });

  const endAll = useMutation({
    mutationFn: () => authorization.endAllSessions(userId),
    onSuccess: () => {
      close();
      notifySuccess('Every session ended, this one included. Sign in again to continue.');
      tokens.clear();
      queryClient.clear();
    },
    onError: (error) => notifyError('Could not sign out everywhere', error),
  });

  const active = (sessions.data ?? []).filter((s) => s.status === 'active');
  return (
    <Stack>
      <Title order={2}>Sessions</Title>
      <>
        <Group justify="space-between">
          <Text>
            {active.length === 1
              ? 'You are signed in in one place.'
              : `You are signed in in ${active.length} places.`}
          </Text>
          <Button color="red" onClick={open} disabled={!sessions.data}>
            Sign out everywhere
          </Button>
        </Group>
        {sessions.isPending && <Loading label="Loading sessions" />}
        {sessions.error && <LoadError what="your sessions" error={sessions.error} />}
        {sessions.data && sessions.data.length === 0 && (
          <EmptyState title="No sessions">Sign in again to see this one.</EmptyState>
        )}
        {sessions.data && sessions.data.length > 0 && (
          <>
            <Paper withBorder p="md">
              <Text size="sm" fw={600} mb="xs" id="logins-chart">
                Sign-ins over the last 7 days
              </Text>
              <div role="img" aria-labelledby="logins-chart" style={{ height: 160 }}>
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart
                    data={loginsPerDay(
                      sessions.data.map((s) => s.createdAt),
                      new Date(),
                    )}
                  >
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="day" fontSize={12} />
                    <YAxis allowDecimals={false} fontSize={12} width={30} />
                    <Tooltip />
                    <Bar dataKey="logins" fill="#4c6ef5" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </Paper>
            <Table.ScrollContainer minWidth={700}>
              <Table striped highlightOnHover aria-label="Your sessions">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Device</Table.Th>
                    <Table.Th>Address</Table.Th>
                    <Table.Th>Place</Table.Th>
                    <Table.Th>Started</Table.Th>
                    <Table.Th>Last used</Table.Th>
                    <Table.Th>Status</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {sessions.data.map((session) => (
                    <Table.Tr key={session.id}>
                      <Table.Td>
                        {describeUserAgent(session.userAgent)}
                        {session.id === claims?.sessionId && (
                          <Badge ml="xs" size="sm">
                            this one
                          </Badge>
                        )}
                      </Table.Td>
                      <Table.Td>{session.ip ?? '—'}</Table.Td>
                      <Table.Td>{formatPlace(session.geo)}</Table.Td>
                      <Table.Td>{formatDateTime(session.createdAt)}</Table.Td>
                      <Table.Td>{formatDateTime(session.lastUsedAt)}</Table.Td>
                      <Table.Td>
                        <Badge color={session.status === 'active' ? 'green' : 'gray'} variant="light">
                          {session.status}
                        </Badge>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </>
        )}
      </>
      <MfaSetupPanel />
      <RecoveryCodes />
      <Modal opened={confirming} onClose={close} title="Sign out everywhere?">
        <Stack>
          <Text size="sm">
            Every session of your account ends at once, this one included: every device has to sign in again.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button color="red" loading={endAll.isPending} onClick={() => endAll.mutate()}>
              End every session
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

/** New recovery codes (the old ones stop working), confirmed with a current authenticator code. */
function RecoveryCodes() {
  const { authorization } = useConsole();
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [codes, setCodes] = useState<string[] | null>(null);
  const renew = useMutation({
    mutationFn: (totp: string) => authorization.newRecoveryCodes(totp),
    onSuccess: (result) => {
      setCodes(result.recoveryCodes);
      setCode('');
      notifySuccess('New recovery codes: the old ones no longer work.');
    },
    onError: (failure) => notifyError('Could not create new recovery codes', failure),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(totpCodeSchema, code);
    setError(checked.ok ? undefined : checked.errors.form);
    if (checked.ok) renew.mutate(checked.value);
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-label="New recovery codes">
        <Stack gap="xs">
          <Title order={3} size="h5">
            Recovery codes
          </Title>
          <Text size="sm" c="dimmed">
            Used up or lost your recovery codes? Get a new set with a code from your authenticator app (needs
            two-factor authentication).
          </Text>
          <Group align="flex-end">
            <TextInput
              label="Code from the app"
              value={code}
              onChange={(e) => setCode(e.currentTarget.value)}
              error={error}
              inputMode="numeric"
            />
            <Button type="submit" variant="default" loading={renew.isPending}>
              New recovery codes
            </Button>
          </Group>
          {codes && (
            <List ff="monospace" aria-label="Your new recovery codes">
              {codes.map((c) => (
                <List.Item key={c}>{c}</List.Item>
              ))}
            </List>
          )}
        </Stack>
      </form>
    </Paper>
  );
}
