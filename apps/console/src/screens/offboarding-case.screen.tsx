import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import type { OffboardingCase } from '../api/offboarding.api';
import { notifyError, notifySuccess } from '../components/notify';
import { saveFile } from '../components/save-file';
import { LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import {
  canCancel,
  canRetry,
  caseProgress,
  casePollInterval,
  caseStatusDisplay,
  stepCountsText,
  stepLabel,
  stepStatusDisplay,
} from '../lib/offboarding.util';

/** One offboarding followed live: each step with its progress, cancel or retry, and the leaver report. */
export function OffboardingCaseScreen() {
  const { id = '' } = useParams();
  const { offboarding } = useConsole();
  const queryClient = useQueryClient();
  const view = useQuery({
    queryKey: ['offboarding', id],
    queryFn: () => offboarding.get(id),
    refetchInterval: (query) => casePollInterval(query.state.data?.status),
  });
  const [cancelReason, setCancelReason] = useState('');
  const updated = (c: OffboardingCase, message: string) => {
    notifySuccess(message);
    queryClient.setQueryData(['offboarding', id], c);
    void queryClient.invalidateQueries({ queryKey: ['offboardings'] });
  };
  const cancel = useMutation({
    mutationFn: () => offboarding.cancel(id, cancelReason.trim() || undefined),
    onSuccess: (c) => updated(c, 'Offboarding cancelled: the person keeps their access.'),
    onError: (error) => notifyError('Could not cancel the offboarding', error),
  });
  const retry = useMutation({
    mutationFn: () => offboarding.retry(id),
    onSuccess: (c) => updated(c, 'The step is being tried again.'),
    onError: (error) => notifyError('Could not retry the step', error),
  });

  if (view.isPending) return <Loading label="Loading the offboarding" />;
  if (view.error) return <LoadError what="the offboarding" error={view.error} />;
  const c = view.data;
  const status = caseStatusDisplay(c.status);
  const progress = caseProgress(c);
  return (
    <Stack>
      <Anchor component={Link} to="/offboarding" size="sm">
        ← All offboardings
      </Anchor>
      <Group gap="sm">
        <Title order={2}>Offboarding</Title>
        <Badge color={status.color} size="lg" variant="light" data-testid="case-status">
          {status.label}
        </Badge>
      </Group>
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 2, md: 4 }}>
          <Fact label="Leaver">{c.userId}</Fact>
          <Fact label="Successor">
            {c.successorId ?? (c.successorPoolId ? `team ${c.successorPoolId}` : '—')}
          </Fact>
          <Fact label="Takes effect">{formatDateTime(c.effectiveAt)}</Fact>
          <Fact label="Reason">{c.reason}</Fact>
          <Fact label="Requested">{`${formatDateTime(c.requestedAt)} by ${c.requestedBy}`}</Fact>
          <Fact label="Took effect">{formatDateTime(c.tookEffectAt)}</Fact>
          <Fact label="Completed">{formatDateTime(c.completedAt ?? c.cancelledAt)}</Fact>
          {c.notes && <Fact label="Notes">{c.notes}</Fact>}
        </SimpleGrid>
        {c.status !== 'cancelled' && (
          <Stack gap={4} mt="md">
            <Progress
              value={progress}
              size="lg"
              animated={c.status === 'in_progress'}
              color={c.status === 'needs_attention' ? 'red' : c.status === 'completed' ? 'green' : 'indigo'}
              aria-label={`Progress ${progress}%`}
            />
            <Text size="xs" c="dimmed" data-testid="case-progress">
              {progress}% {c.status === 'in_progress' ? '(updates by itself)' : ''}
            </Text>
          </Stack>
        )}
      </Paper>
      {c.attention && (
        <Alert color="red" title={`${stepLabel(c.attention.step)} needs attention`} role="alert">
          <Stack gap="xs">
            <Text size="sm">
              {c.attention.reason} ({c.attention.attempts} attempt(s)). Fix the cause, then try the step
              again.
            </Text>
            {canRetry(c) && (
              <Group>
                <Button size="xs" color="red" loading={retry.isPending} onClick={() => retry.mutate()}>
                  Retry {stepLabel(c.attention.step).toLowerCase()}
                </Button>
              </Group>
            )}
          </Stack>
        </Alert>
      )}
      <Table.ScrollContainer minWidth={760}>
        <Table aria-label="Offboarding steps" verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Step</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>What was done</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Finished</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {c.steps.map((step) => {
              const display = stepStatusDisplay(step.status);
              return (
                <Table.Tr key={step.step} data-testid={`step-${step.step}`}>
                  <Table.Td fw={600}>{stepLabel(step.step)}</Table.Td>
                  <Table.Td miw={160}>
                    <Badge color={display.color} variant="light">
                      {display.label}
                    </Badge>
                    {step.lastError && (
                      <Text size="xs" c="red">
                        {step.lastError}
                        {step.nextAttemptAt ? ` — next try ${formatDateTime(step.nextAttemptAt)}` : ''}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{stepCountsText(step) || '—'}</Text>
                  </Table.Td>
                  <Table.Td>{formatDateTime(step.startedAt)}</Table.Td>
                  <Table.Td>{formatDateTime(step.completedAt)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {canCancel(c) && (
        <Paper withBorder p="md">
          <Group align="flex-end">
            <TextInput
              label="Why cancel (optional)"
              value={cancelReason}
              onChange={(e) => setCancelReason(e.currentTarget.value)}
              maxLength={500}
              style={{ flex: 1 }}
            />
            <Button color="red" variant="light" loading={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel the offboarding
            </Button>
          </Group>
          <Text size="xs" c="dimmed" mt={4}>
            Possible until it takes effect on {formatDateTime(c.effectiveAt)}.
          </Text>
        </Paper>
      )}
      {c.report && <LeaverReport caseId={c.id} />}
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
        {children}
      </Text>
    </div>
  );
}

/** The leaver report: the HTML in a sandboxed frame (nothing in it may run), JSON and CSV as files. */
function LeaverReport({ caseId }: { caseId: string }) {
  const { offboarding } = useConsole();
  const [html, setHtml] = useState<string | null>(null);
  const open = useMutation({
    mutationFn: () => offboarding.reportHtml(caseId),
    onSuccess: setHtml,
    onError: (error) => notifyError('Could not open the report', error),
  });
  const download = useMutation({
    mutationFn: (format: 'json' | 'csv') => offboarding.reportFile(caseId, format),
    onSuccess: (file) => {
      saveFile(file);
      notifySuccess(`Saved ${file.filename}.`);
    },
    onError: (error) => notifyError('Could not download the report', error),
  });
  return (
    <Paper withBorder p="md">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          Leaver report
        </Title>
        <Group gap="xs">
          <Button size="xs" loading={open.isPending} onClick={() => open.mutate()}>
            Open the report
          </Button>
          <Button size="xs" variant="default" onClick={() => download.mutate('json')}>
            Download JSON
          </Button>
          <Button size="xs" variant="default" onClick={() => download.mutate('csv')}>
            Download CSV
          </Button>
          {html && (
            <Button size="xs" variant="subtle" onClick={() => setHtml(null)}>
              Close
            </Button>
          )}
        </Group>
      </Group>
      {html ? (
        <iframe
          title="Leaver report"
          srcDoc={html}
          sandbox=""
          style={{ width: '100%', height: 640, border: '1px solid var(--mantine-color-gray-4)' }}
        />
      ) : (
        <Text size="sm" c="dimmed">
          The person&apos;s logins, customers viewed, reveals, exports, downloads and alerts of the last 90
          days.
        </Text>
      )}
    </Paper>
  );
}
