import {
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { OFFBOARDING_STATUSES } from '../api/offboarding.api';
import { notifyError, notifySuccess } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { UserPicker, type PickedUser } from '../components/user-picker';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import { caseStatusDisplay, offboardingRequestOf, stepLabel, summaryProgress } from '../lib/offboarding.util';
import type { FieldErrors } from '../lib/validation.util';

/** HR: start an offboarding, and the cases with their progress. */
export function OffboardingScreen() {
  const { offboarding } = useConsole();
  const [status, setStatus] = useState<string | null>(null);
  const cases = useQuery({
    queryKey: ['offboardings', status],
    queryFn: () => offboarding.list({ status: status ?? undefined }),
    // Running cases move on their own: look again while one is in progress.
    refetchInterval: (query) =>
      query.state.data?.items.some((c) => c.status === 'in_progress' || c.status === 'scheduled')
        ? 3000
        : false,
  });
  return (
    <Stack>
      <Title order={2}>Offboarding</Title>
      <StartOffboarding />
      <Group justify="space-between" align="flex-end">
        <Title order={3} size="h4">
          Cases
        </Title>
        <Select
          label="Status"
          placeholder="Any"
          data={OFFBOARDING_STATUSES.map((s) => ({ value: s, label: caseStatusDisplay(s).label }))}
          value={status}
          onChange={setStatus}
          clearable
        />
      </Group>
      {cases.isPending && <Loading label="Loading offboarding cases" />}
      {cases.error && <LoadError what="offboarding cases" error={cases.error} />}
      {cases.data && cases.data.items.length === 0 && (
        <EmptyState title="No offboarding cases">
          Start one above when someone leaves: their access is frozen on the date you choose, their customers
          go to the successor, and a report of their last 90 days is prepared.
        </EmptyState>
      )}
      {cases.data && cases.data.items.length > 0 && (
        <Table.ScrollContainer minWidth={860}>
          <Table striped aria-label="Offboarding cases" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Leaver</Table.Th>
                <Table.Th>Takes effect</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Progress</Table.Th>
                <Table.Th>Source</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {cases.data.items.map((c) => {
                const display = caseStatusDisplay(c.status);
                const progress = summaryProgress(c);
                return (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/offboarding/${c.id}`} ff="monospace" size="sm">
                        {c.userId}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{formatDateTime(c.effectiveAt)}</Table.Td>
                    <Table.Td miw={160}>
                      <Badge color={display.color} variant="light">
                        {display.label}
                      </Badge>
                      {c.lastError && (
                        <Text size="xs" c="red" lineClamp={2}>
                          {c.lastError}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td miw={160}>
                      <Progress value={progress} size="sm" aria-label={`Progress ${progress}%`} />
                      <Text size="xs" c="dimmed">
                        {c.step ? stepLabel(c.step) : display.label}
                      </Text>
                    </Table.Td>
                    <Table.Td>{c.source}</Table.Td>
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

function StartOffboarding() {
  const { offboarding } = useConsole();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [leaver, setLeaver] = useState<PickedUser | null>(null);
  const [successor, setSuccessor] = useState<PickedUser | null>(null);
  const [successorKind, setSuccessorKind] = useState<'user' | 'team'>('user');
  const [effectiveAt, setEffectiveAt] = useState('');
  const [reason, setReason] = useState('');
  const [notes, setNotes] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const start = useMutation({
    mutationFn: offboarding.request,
    onSuccess: (accepted) => {
      notifySuccess(
        accepted.status === 'scheduled'
          ? `Offboarding scheduled for ${formatDateTime(accepted.effectiveAt)}.`
          : 'Offboarding started: access is being frozen now.',
      );
      void queryClient.invalidateQueries({ queryKey: ['offboardings'] });
      navigate(`/offboarding/${accepted.id}`);
    },
    onError: (error) => notifyError('Could not start the offboarding', error),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = offboardingRequestOf(
      {
        userId: leaver?.id ?? '',
        successorKind,
        successorId: successor?.id ?? '',
        effectiveAt,
        reason,
        notes,
      },
      new Date(),
    );
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    start.mutate(result.body);
  };
  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} aria-label="Start an offboarding">
      <Stack gap="sm">
        <Text fw={600}>Start an offboarding</Text>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <UserPicker label="Person leaving" value={leaver} onChange={setLeaver} error={errors.userId} />
          <Stack gap={4}>
            <SegmentedControl
              size="xs"
              w="fit-content"
              aria-label="Who takes over the customers"
              data={[
                { value: 'user', label: 'A successor' },
                { value: 'team', label: 'A team (shared)' },
              ]}
              value={successorKind}
              onChange={(value) => {
                setSuccessorKind(value as 'user' | 'team');
                setSuccessor(null);
              }}
            />
            <UserPicker
              key={successorKind}
              label={successorKind === 'user' ? 'Successor' : 'Successor team'}
              description="Takes over the leaver's customers; must be active and in the same team line"
              value={successor}
              onChange={setSuccessor}
              error={errors.successorId}
              idKind={successorKind}
            />
          </Stack>
          <TextInput
            type="datetime-local"
            label="Takes effect"
            description="Leave empty to freeze access now; a later date marks the person as departing until then"
            value={effectiveAt}
            onChange={(e) => setEffectiveAt(e.currentTarget.value)}
            error={errors.effectiveAt}
          />
          <TextInput
            label="Reason"
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            error={errors.reason}
            maxLength={500}
          />
        </SimpleGrid>
        <Textarea
          label="Notes (optional)"
          value={notes}
          onChange={(e) => setNotes(e.currentTarget.value)}
          error={errors.notes}
          autosize
          minRows={2}
          maxLength={2000}
        />
        <Group>
          <Button type="submit" loading={start.isPending}>
            Start offboarding
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
