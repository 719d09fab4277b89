import { Button, Group, Paper, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import { createTeamSchema, validate, type FieldErrors } from '../lib/validation.util';

/** Teams and their hierarchy (a supervisor sees a team and all its sub-teams). */
export function TeamsScreen() {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const teams = useQuery({ queryKey: ['teams'], queryFn: () => authorization.teams() });
  const [name, setName] = useState('');
  const [parentId, setParentId] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useMutation({
    mutationFn: () => authorization.createTeam({ name: name.trim(), parentId, supervisorId: null }),
    onSuccess: (team) => {
      notifySuccess(`Team ${team.name} created.`);
      setName('');
      setParentId(null);
      void queryClient.invalidateQueries({ queryKey: ['teams'] });
    },
    onError: (error) => notifyError('Could not create the team', error),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(createTeamSchema, { name, parentId, supervisorId: null });
    setErrors(checked.ok ? {} : checked.errors);
    if (checked.ok) create.mutate();
  };
  const nameOf = (id: string | null) => (id ? (teams.data?.find((t) => t.id === id)?.name ?? id) : '—');
  return (
    <Stack>
      <Title order={2}>Teams</Title>
      <Paper withBorder p="md">
        <form onSubmit={submit} noValidate aria-label="New team">
          <Group align="flex-start">
            <TextInput
              label="Team name"
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              error={errors.name}
            />
            <Select
              label="Part of"
              placeholder="Top level"
              data={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
              value={parentId}
              onChange={setParentId}
              clearable
            />
            <Button type="submit" mt={24} loading={create.isPending}>
              Create team
            </Button>
          </Group>
        </form>
      </Paper>
      {teams.isPending && <Loading label="Loading teams" />}
      {teams.error && <LoadError what="teams" error={teams.error} />}
      {teams.data && teams.data.length === 0 && (
        <EmptyState title="No teams yet">
          Create the first team above; then give users a team on the Users page.
        </EmptyState>
      )}
      {teams.data && teams.data.length > 0 && (
        <Table striped aria-label="Teams">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Part of</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {teams.data.map((team) => (
              <Table.Tr key={team.id}>
                <Table.Td>{team.name}</Table.Td>
                <Table.Td>{nameOf(team.parentId)}</Table.Td>
                <Table.Td>{formatDateTime(team.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
