import {
  Badge,
  Button,
  Group,
  Modal,
  MultiSelect,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { User } from '../api/authorization.api';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import { createUserSchema, validate, type FieldErrors } from '../lib/validation.util';

const STATUSES = ['active', 'departing', 'disabled', 'offboarded'];
const CLEARANCES = ['public', 'internal', 'confidential', 'restricted'];
const STATUS_COLOR: Record<string, string> = {
  active: 'green',
  departing: 'yellow',
  disabled: 'gray',
  offboarded: 'dark',
};

/** Users: find, create, change roles and status. */
export function UsersScreen() {
  const { authorization } = useConsole();
  const [username, setUsername] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [creating, { open, close }] = useDisclosure(false);
  const [editing, setEditing] = useState<User | null>(null);
  const cursor = cursors[cursors.length - 1];
  const users = useQuery({
    queryKey: ['users', username.trim(), status, cursor],
    queryFn: () =>
      authorization.users({
        username: username.trim() || undefined,
        status: status ?? undefined,
        cursor,
        limit: 25,
      }),
    placeholderData: keepPreviousData,
  });
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => authorization.roles() });
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => authorization.teams() });
  const teamName = (id: string | null) =>
    id ? (teams.data?.find((t) => t.id === id)?.name ?? id.slice(0, 8)) : '—';

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Users</Title>
        <Button onClick={open}>New user</Button>
      </Group>
      <Group align="flex-end">
        <TextInput
          label="User name"
          description="Exact user name"
          value={username}
          onChange={(e) => {
            setUsername(e.currentTarget.value);
            setCursors([undefined]);
          }}
        />
        <Select
          label="Status"
          placeholder="Any"
          data={STATUSES}
          value={status}
          onChange={(s) => {
            setStatus(s);
            setCursors([undefined]);
          }}
          clearable
        />
      </Group>
      {users.isPending && <Loading label="Loading users" />}
      {users.error && <LoadError what="users" error={users.error} />}
      {users.data && users.data.items.length === 0 && (
        <EmptyState title="No user matches">Clear the filters, or create a user with “New user”.</EmptyState>
      )}
      {users.data && users.data.items.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped highlightOnHover aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User name</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Roles</Table.Th>
                <Table.Th>Team</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.items.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>{user.username}</Table.Td>
                  <Table.Td>{user.displayName}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {user.roles.map((r) => (
                        <Badge key={r} variant="light" size="sm">
                          {r}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{teamName(user.teamId)}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[user.status] ?? 'gray'}>{user.status}</Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(user.createdAt)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setEditing(user)}
                      aria-label={`Change ${user.username}`}
                      disabled={user.status === 'offboarded'}
                    >
                      Change
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group justify="flex-end">
        <Button
          variant="default"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </Button>
        <Button
          variant="default"
          disabled={!users.data?.nextCursor}
          onClick={() => setCursors((c) => [...c, users.data?.nextCursor ?? undefined])}
        >
          Next page
        </Button>
      </Group>
      <Modal opened={creating} onClose={close} title="New user" size="lg">
        <CreateUserForm
          roleNames={(roles.data ?? []).map((r) => r.name)}
          teams={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
          onDone={close}
        />
      </Modal>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing ? `Change ${editing.username}` : ''}
      >
        {editing && (
          <EditUserForm
            user={editing}
            roleNames={(roles.data ?? []).map((r) => r.name)}
            onDone={() => setEditing(null)}
          />
        )}
      </Modal>
    </Stack>
  );
}

function CreateUserForm({
  roleNames,
  teams,
  onDone,
}: {
  roleNames: string[];
  teams: Array<{ value: string; label: string }>;
  onDone: () => void;
}) {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({
    username: '',
    displayName: '',
    email: '',
    password: '',
    roles: ['staff'],
    teamId: null as string | null,
    clearance: 'internal',
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useMutation({
    mutationFn: () => authorization.createUser({ ...form, username: form.username.trim() }),
    onSuccess: (user) => {
      notifySuccess(`User ${user.username} created.`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      onDone();
    },
    onError: (error) => notifyError('Could not create the user', error),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(createUserSchema, form);
    setErrors(checked.ok ? {} : checked.errors);
    if (checked.ok) create.mutate();
  };
  const set = (key: keyof typeof form) => (value: unknown) => setForm((f) => ({ ...f, [key]: value }));
  return (
    <form onSubmit={submit} noValidate aria-label="New user">
      <Stack>
        <TextInput
          label="User name"
          value={form.username}
          onChange={(e) => set('username')(e.currentTarget.value)}
          error={errors.username}
          required
          data-autofocus
        />
        <TextInput
          label="Display name"
          value={form.displayName}
          onChange={(e) => set('displayName')(e.currentTarget.value)}
          error={errors.displayName}
          required
        />
        <TextInput
          label="E-mail"
          type="email"
          value={form.email}
          onChange={(e) => set('email')(e.currentTarget.value)}
          error={errors.email}
          required
        />
        <PasswordInput
          label="Initial password"
          description="12 characters or more, not containing the user name"
          value={form.password}
          onChange={(e) => set('password')(e.currentTarget.value)}
          error={errors.password}
          required
          autoComplete="new-password"
        />
        <MultiSelect
          label="Roles"
          data={roleNames}
          value={form.roles}
          onChange={set('roles')}
          error={errors.roles}
          required
        />
        <Select
          label="Team"
          placeholder="No team"
          data={teams}
          value={form.teamId}
          onChange={set('teamId')}
          clearable
        />
        <Select
          label="Clearance"
          data={CLEARANCES}
          value={form.clearance}
          onChange={(v) => v && set('clearance')(v)}
          allowDeselect={false}
        />
        <Button type="submit" loading={create.isPending}>
          Create user
        </Button>
      </Stack>
    </form>
  );
}

function EditUserForm({ user, roleNames, onDone }: { user: User; roleNames: string[]; onDone: () => void }) {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState(user.roles);
  const [status, setStatus] = useState(user.status);
  const [statusReason, setStatusReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: () =>
      authorization.updateUser(user.id, {
        ...(roles.join() !== user.roles.join() ? { roles } : {}),
        ...(status !== user.status ? { status, statusReason: statusReason.trim() } : {}),
      }),
    onSuccess: () => {
      notifySuccess(`${user.username} changed.`);
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      onDone();
    },
    onError: (failure) => notifyError(`Could not change ${user.username}`, failure),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (roles.length === 0) return setError('Choose at least one role');
    if (roles.join() === user.roles.join() && status === user.status) return setError('Nothing changed');
    if (status !== user.status && !statusReason.trim()) return setError('Say why the status changes');
    setError(undefined);
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate aria-label={`Change ${user.username}`}>
      <Stack>
        <MultiSelect label="Roles" data={roleNames} value={roles} onChange={setRoles} data-autofocus />
        <Select
          label="Status"
          data={STATUSES}
          value={status}
          onChange={(s) => s && setStatus(s)}
          allowDeselect={false}
        />
        {status !== user.status && (
          <TextInput
            label="Reason for the status change"
            value={statusReason}
            onChange={(e) => setStatusReason(e.currentTarget.value)}
          />
        )}
        {(status === 'disabled' || status === 'offboarded') && status !== user.status && (
          <Text size="sm" c="red">
            This ends every session of {user.username} at once.
          </Text>
        )}
        {error && (
          <Text size="sm" c="red" role="alert">
            {error}
          </Text>
        )}
        <Button type="submit" loading={save.isPending}>
          Save
        </Button>
      </Stack>
    </form>
  );
}
