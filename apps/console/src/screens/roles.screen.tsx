import { Badge, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { FieldLevel, Role } from '../api/authorization.api';
import type { SensitiveField } from '../api/customers.api';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import {
  LEVELS,
  MATRIX_FIELDS,
  roleFieldLevels,
  roleReadsCustomers,
  withFieldLevel,
} from '../lib/permission-matrix.util';

const FIELD_LABELS: Record<SensitiveField, string> = {
  mobile: 'Mobile',
  email: 'E-mail',
  nationalId: 'National ID',
  address: 'Address',
};
const LEVEL_LABELS: Record<FieldLevel, string> = { clear: 'clear', masked: 'masked', none: 'not shown' };

/** Roles, and which sensitive customer field each shows in clear, masked or not at all (editable). */
export function RolesScreen() {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => authorization.roles() });
  const change = useMutation({
    mutationFn: ({ role, field, level }: { role: Role; field: SensitiveField; level: FieldLevel }) => {
      const permissions = withFieldLevel(role, field, level);
      if (!permissions) throw new Error(`${role.name} does not read customers`);
      return authorization.updateRole({ ...role, permissions });
    },
    onSuccess: (_role, { role, field, level }) => {
      notifySuccess(
        `${role.name}: ${FIELD_LABELS[field]} is now ${LEVEL_LABELS[level]}. Holders get it on their next request.`,
      );
      void queryClient.invalidateQueries({ queryKey: ['roles'] });
    },
    onError: (error) => notifyError('Could not change the role', error),
  });

  return (
    <Stack>
      <Title order={2}>Roles and field permissions</Title>
      <Text c="dimmed" size="sm">
        How each role sees the sensitive fields of the customers it may read (its record conditions — own,
        team, clearance — still apply). A change applies to every holder at once.
      </Text>
      {roles.isPending && <Loading label="Loading roles" />}
      {roles.error && <LoadError what="roles" error={roles.error} />}
      {roles.data && roles.data.length === 0 && (
        <EmptyState title="No roles">
          The authorization service defines the default roles at start; check that it runs.
        </EmptyState>
      )}
      {roles.data && roles.data.length > 0 && (
        <Table.ScrollContainer minWidth={820}>
          <Table striped aria-label="Field permission matrix">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Role</Table.Th>
                {MATRIX_FIELDS.map((field) => (
                  <Table.Th key={field}>{FIELD_LABELS[field]}</Table.Th>
                ))}
                <Table.Th>MFA</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {roles.data.map((role) => {
                const levels = roleFieldLevels(role);
                const reads = roleReadsCustomers(role);
                return (
                  <Table.Tr key={role.name}>
                    <Table.Th scope="row">
                      <Text fw={600} size="sm">
                        {role.name}
                      </Text>
                      <Text size="xs" c="dimmed" maw={260}>
                        {role.description}
                      </Text>
                    </Table.Th>
                    {MATRIX_FIELDS.map((field) => (
                      <Table.Td key={field}>
                        {reads ? (
                          <NativeSelect
                            aria-label={`${role.name}: ${FIELD_LABELS[field]}`}
                            data={LEVELS.map((level) => ({ value: level, label: LEVEL_LABELS[level] }))}
                            value={levels[field]}
                            disabled={change.isPending}
                            onChange={(e) =>
                              change.mutate({ role, field, level: e.currentTarget.value as FieldLevel })
                            }
                            size="xs"
                          />
                        ) : (
                          <Text size="xs" c="dimmed">
                            no customer access
                          </Text>
                        )}
                      </Table.Td>
                    ))}
                    <Table.Td>
                      {role.mfaRequired ? (
                        <Badge color="indigo">required</Badge>
                      ) : (
                        <Text size="xs">optional</Text>
                      )}
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
