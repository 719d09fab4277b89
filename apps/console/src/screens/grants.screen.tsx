import { Badge, Button, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Grant, Permission } from '../api/authorization.api';
import { hasRole } from '../auth/jwt.util';
import { notifyError, notifySuccess } from '../components/notify';
import { usePersonLabels } from '../components/use-person-labels';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useClaims, useConsole } from '../console-context';
import { formatDateTime, formatExpiry } from '../lib/format.util';
import { describePermission, granteesOf } from '../lib/grants.util';
import { grantRequestSchema, validate, type FieldErrors } from '../lib/validation.util';

/** What a grant may add, in words; the permissions are the policy's vocabulary. */
const PRESETS: Record<string, { label: string; permissions: Permission[] }> = {
  'reveal-own': {
    label: 'See national ID and address of my own customers in clear',
    permissions: [
      {
        action: 'read',
        subject: 'Customer',
        conditions: { owner: 'me', classification: 'within-clearance' },
        fields: { nationalId: 'clear', address: 'clear' },
      },
    ],
  },
  'read-team': {
    label: "Read my team's customers (sensitive fields masked)",
    permissions: [
      {
        action: 'read',
        subject: 'Customer',
        conditions: { team: 'mine', classification: 'within-clearance' },
        fields: { mobile: 'masked', email: 'masked', nationalId: 'masked', address: 'masked' },
      },
    ],
  },
};
const STATUS_COLOR: Record<string, string> = {
  pending: 'yellow',
  active: 'green',
  rejected: 'red',
  revoked: 'gray',
  expired: 'gray',
};

/** Each permission of a grant in words (`Read customers — customers they own; fields: National ID in clear`). */
const describePermissions = (permissions: Permission[]): string =>
  permissions
    .map((permission) => {
      const words = describePermission(permission);
      return `${words.what} — ${words.scope}${words.fields ? `; fields: ${words.fields}` : ''}`;
    })
    .join('. ');

/** Time-bound grants: ask for one, and approve, reject or revoke those you may decide. */
export function GrantsScreen() {
  const claims = useClaims();
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<string | null>(null);
  const grants = useQuery({
    queryKey: ['grants', status],
    queryFn: () => authorization.grants({ status: status ?? undefined }),
  });
  const decide = useMutation({
    mutationFn: ({ grant, decision }: { grant: Grant; decision: 'approve' | 'reject' | 'revoke' }) =>
      authorization.decideGrant(grant.id, decision),
    onSuccess: (grant, { decision }) => {
      notifySuccess(
        `Grant ${decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'revoked'}; it is now ${grant.status}.`,
      );
      void queryClient.invalidateQueries({ queryKey: ['grants'] });
    },
    onError: (error, { decision }) => notifyError(`Could not ${decision} the grant`, error),
  });
  const people = usePersonLabels(
    (grants.data ?? []).map((grant) => grant.userId),
    granteesOf(grants.data ?? []),
  );

  return (
    <Stack>
      <Title order={2}>Grants</Title>
      <RequestGrant isAdmin={hasRole(claims, 'admin')} me={claims?.userId ?? ''} />
      <Group>
        <Select
          label="Status"
          placeholder="Any"
          data={Object.keys(STATUS_COLOR)}
          value={status}
          onChange={setStatus}
          clearable
        />
      </Group>
      {grants.isPending && <Loading label="Loading grants" />}
      {grants.error && <LoadError what="grants" error={grants.error} />}
      {grants.data && grants.data.length === 0 && (
        <EmptyState title="No grants">
          You have no grants and none waits for your decision. Ask for one above when your role is not enough
          for a task.
        </EmptyState>
      )}
      {grants.data && grants.data.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped aria-label="Grants">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>For</Table.Th>
                <Table.Th>Allows</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Ends</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Decide</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {grants.data.map((grant) => (
                <Table.Tr key={grant.id}>
                  <Table.Td>{people.label(grant.userId)}</Table.Td>
                  <Table.Td>
                    <Text size="xs">{describePermissions(grant.permissions)}</Text>
                  </Table.Td>
                  <Table.Td>{grant.reason}</Table.Td>
                  <Table.Td title={formatDateTime(grant.expiresAt)}>
                    {formatExpiry(grant.expiresAt, new Date())}
                  </Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[grant.status] ?? 'gray'}>{grant.status}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} wrap="nowrap">
                      {grant.status === 'pending' && grant.userId !== claims?.userId && (
                        <>
                          <Button
                            size="xs"
                            color="green"
                            onClick={() => decide.mutate({ grant, decision: 'approve' })}
                          >
                            Approve
                          </Button>
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => decide.mutate({ grant, decision: 'reject' })}
                          >
                            Reject
                          </Button>
                        </>
                      )}
                      {(grant.status === 'active' || grant.status === 'pending') && (
                        <Button
                          size="xs"
                          variant="subtle"
                          color="red"
                          onClick={() => decide.mutate({ grant, decision: 'revoke' })}
                        >
                          Revoke
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

const inDays = (days: number): string => {
  const d = new Date(Date.now() + days * 86_400_000);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function RequestGrant({ isAdmin, me }: { isAdmin: boolean; me: string }) {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState(me);
  const [preset, setPreset] = useState<string>('reveal-own');
  const [reason, setReason] = useState('');
  const [expiresAt, setExpiresAt] = useState(inDays(1));
  const [errors, setErrors] = useState<FieldErrors>({});
  const request = useMutation({
    mutationFn: (input: { userId: string; reason: string; expiresAt: string }) =>
      authorization.requestGrant({
        ...input,
        permissions: PRESETS[preset].permissions,
        expiresAt: new Date(input.expiresAt).toISOString(),
      }),
    onSuccess: () => {
      notifySuccess('Grant requested: it applies once a supervisor or security officer approves it.');
      setReason('');
      void queryClient.invalidateQueries({ queryKey: ['grants'] });
    },
    onError: (error) => notifyError('Could not request the grant', error),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(grantRequestSchema(new Date()), {
      userId: userId.trim(),
      preset,
      reason,
      expiresAt,
    });
    setErrors(checked.ok ? {} : checked.errors);
    if (checked.ok) request.mutate(checked.value);
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-label="Request a grant">
        <Stack gap="xs">
          <Title order={3} size="h5">
            Request a grant
          </Title>
          <Group align="flex-start" wrap="wrap">
            {isAdmin && (
              <TextInput
                label="User id"
                description="Yours by default"
                value={userId}
                onChange={(e) => setUserId(e.currentTarget.value)}
                error={errors.userId}
                w={320}
              />
            )}
            <Select
              label="Allows"
              data={Object.entries(PRESETS).map(([value, p]) => ({ value, label: p.label }))}
              value={preset}
              onChange={(p) => p && setPreset(p)}
              allowDeselect={false}
              w={380}
            />
            <TextInput
              label="Ends"
              type="datetime-local"
              value={expiresAt}
              onChange={(e) => setExpiresAt(e.currentTarget.value)}
              error={errors.expiresAt}
              description="At most 90 days"
            />
          </Group>
          <TextInput
            label="Reason"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={errors.reason}
          />
          <Group>
            <Button type="submit" loading={request.isPending}>
              Request grant
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
