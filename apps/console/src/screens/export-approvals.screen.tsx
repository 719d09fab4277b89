import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  List,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { describeError } from '../api/api-error';
import type { ExportView } from '../api/exports.api';
import { Fact } from '../components/fact';
import { GrantApprovals } from '../components/grant-approvals';
import { notifyError, notifySuccess } from '../components/notify';
import { RowsPerDayChart } from '../components/rows-per-day-chart';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime, formatExpiry } from '../lib/format.util';
import {
  approvalReasonText,
  describeFilter,
  EXPORT_FIELD_LABELS,
  exportStatusDisplay,
  needsStepUp,
  stepUpProof,
  usableStepUp,
  type StepUpProof,
} from '../lib/exports.util';
import { totpCodeSchema, validate } from '../lib/validation.util';

const label = (field: string) => EXPORT_FIELD_LABELS[field as keyof typeof EXPORT_FIELD_LABELS] ?? field;

/** Who asked: their name and username when the exports service knows them, else their user id. */
function Requester({ view }: { view: ExportView }) {
  if (!view.requesterName && !view.requesterUsername) return <Code>{view.requesterId}</Code>;
  return (
    <Text size="sm" span>
      {view.requesterName ?? view.requesterUsername}{' '}
      {view.requesterName && view.requesterUsername ? <Code>{view.requesterUsername}</Code> : null}
    </Text>
  );
}

/** Supervisors' and security officers' inbox: exports and grant requests waiting for their decision. */
export function ExportApprovalsScreen() {
  const { exports } = useConsole();
  const inbox = useQuery({
    queryKey: ['exports', 'approvals'],
    queryFn: exports.awaitingMe,
    refetchInterval: 10_000,
  });
  const [selected, setSelected] = useState<string | null>(null);
  // The step-up proof of this screen (5 minutes, bound to this session): one code for several approvals.
  const proof = useRef<StepUpProof | null>(null);

  return (
    <Stack>
      <Title order={2}>Approvals</Title>
      <Title order={3}>Exports</Title>
      <Text c="dimmed" size="sm">
        Exports of the people in your teams (or anyone’s, for security officers) that need a person’s
        approval. Check what is asked for and why before you decide: your decision is recorded with your name.
      </Text>
      {inbox.isPending && <Loading label="Loading exports awaiting you" />}
      {inbox.error && <LoadError what="the exports awaiting you" error={inbox.error} />}
      {inbox.data && inbox.data.length === 0 && (
        <EmptyState title="Nothing to approve">
          No export waits for your decision. Requests of your team members appear here when they ask for more
          rows than the threshold, sensitive fields in clear, or more than their daily quota.
        </EmptyState>
      )}
      {inbox.data && inbox.data.length > 0 && (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover aria-label="Exports awaiting your decision">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Requested</Table.Th>
                <Table.Th>Requester</Table.Th>
                <Table.Th>Estimated rows</Table.Th>
                <Table.Th>Reason given</Table.Th>
                <Table.Th>Why approval</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {inbox.data.map((view) => (
                <Table.Tr key={view.id}>
                  <Table.Td>{formatDateTime(view.createdAt)}</Table.Td>
                  <Table.Td>
                    <Requester view={view} />
                  </Table.Td>
                  <Table.Td>{view.estimatedRows}</Table.Td>
                  <Table.Td maw={240}>
                    <Text size="sm" lineClamp={2}>
                      {view.reason}
                    </Text>
                  </Table.Td>
                  <Table.Td>{view.approvalReasons.map(approvalReasonText).join('; ')}</Table.Td>
                  <Table.Td>
                    {view.approvalExpiresAt ? formatExpiry(view.approvalExpiresAt, new Date()) : '—'}
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant={selected === view.id ? 'filled' : 'light'}
                      onClick={() => setSelected(view.id)}
                      aria-label={`Review the export requested ${formatDateTime(view.createdAt)}`}
                    >
                      Review
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {selected && (
        <ApprovalReview key={selected} id={selected} proof={proof} onDone={() => setSelected(null)} />
      )}
      <GrantApprovals />
    </Stack>
  );
}

/** One request in full, with approve / reject, a comment, and the step-up code when fields are in clear. */
export function ApprovalReview({
  id,
  proof,
  onDone,
}: {
  id: string;
  proof: { current: StepUpProof | null };
  onDone: () => void;
}) {
  const { exports, authorization } = useConsole();
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: ['export', id], queryFn: () => exports.get(id) });
  const [comment, setComment] = useState('');
  const [totp, setTotp] = useState('');
  const [totpError, setTotpError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | null>(null);

  const decide = useMutation({
    mutationFn: async ({ view, decision }: { view: ExportView; decision: 'approve' | 'reject' }) => {
      const note = comment.trim() || null;
      if (decision === 'reject') return exports.reject(view.id, note);
      let stepUpToken: string | undefined;
      if (needsStepUp(view)) {
        stepUpToken = usableStepUp(proof.current, Date.now()) ?? undefined;
        if (!stepUpToken) {
          const issued = await authorization.stepUp(totp.trim());
          proof.current = stepUpProof(issued.stepUpToken, issued.expiresIn, Date.now());
          stepUpToken = issued.stepUpToken;
        }
      }
      return exports.approve(view.id, { comment: note, stepUpToken });
    },
    onSuccess: (view, { decision }) => {
      notifySuccess(
        `Export ${decision === 'approve' ? 'approved' : 'rejected'}; it is now ${exportStatusDisplay(view.status).label}.`,
      );
      void queryClient.invalidateQueries({ queryKey: ['exports'] });
      onDone();
    },
    onError: (error, { decision }) => {
      const code = (error as { code?: string }).code ?? '';
      if (/STEP_UP/.test(code)) proof.current = null;
      setFailure(
        code === 'STEP_UP_MFA_NOT_ENROLLED'
          ? 'Approving fields in clear needs two-factor authentication: set up an authenticator app under “Sessions”, then approve again.'
          : describeError(error),
      );
      notifyError(`Could not ${decision} the export`, error);
    },
  });

  if (detail.isPending) return <Loading label="Loading the export" />;
  if (detail.error) return <LoadError what="this export" error={detail.error} />;
  const view = detail.data;
  const stepUp = needsStepUp(view) && !usableStepUp(proof.current, Date.now());

  const submit = (decision: 'approve' | 'reject') => (event?: FormEvent) => {
    event?.preventDefault();
    setFailure(null);
    if (decision === 'approve' && stepUp) {
      const checked = validate(totpCodeSchema, totp);
      setTotpError(checked.ok ? undefined : checked.errors.form);
      if (!checked.ok) return;
    }
    decide.mutate({ view, decision });
  };

  const history = view.requesterHistory ?? [];
  return (
    <Paper withBorder p="md" aria-label="Export under review" component="section">
      <form onSubmit={submit('approve')} noValidate aria-label="Decide on the export">
        <Stack>
          <Group justify="space-between">
            <Title order={3} size="h4">
              What you approve
            </Title>
            <Badge color={exportStatusDisplay(view.status).color}>
              {exportStatusDisplay(view.status).label}
            </Badge>
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <Fact label="Requester">
              <Requester view={view} />
            </Fact>
            <Fact label="Estimated rows">
              <Text fw={700} data-testid="review-estimated-rows">
                {view.estimatedRows}
              </Text>
            </Fact>
            <Fact label="Fields">{view.fields.map(label).join(', ')}</Fact>
            <Fact label="Fields in clear">
              {view.clearFields.length ? (
                <Text c="orange" fw={700} data-testid="review-clear-fields">
                  {view.clearFields.map(label).join(', ')}
                </Text>
              ) : (
                'none: sensitive fields are masked'
              )}
            </Fact>
            <Fact label="Customers">{describeFilter(view.filter)}</Fact>
            <Fact label="Format">{view.format}</Fact>
            <Fact label="Reason">“{view.reason}”</Fact>
            <Fact label="Why approval is needed">
              <List size="sm">
                {view.approvalReasons.map((r) => (
                  <List.Item key={r}>{approvalReasonText(r)}</List.Item>
                ))}
              </List>
            </Fact>
          </SimpleGrid>
          <Title order={4} size="h6">
            The requester’s recent exports
          </Title>
          {history.length === 0 ? (
            <Text size="sm" c="dimmed">
              This is their first export.
            </Text>
          ) : (
            <>
              <Table.ScrollContainer minWidth={600}>
                <Table aria-label="The requester's recent exports" withTableBorder>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Requested</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Rows</Table.Th>
                      <Table.Th>Fields in clear</Table.Th>
                      <Table.Th>Reason</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {history.map((h) => (
                      <Table.Tr key={h.id}>
                        <Table.Td>{formatDateTime(h.createdAt)}</Table.Td>
                        <Table.Td>{exportStatusDisplay(h.status).label}</Table.Td>
                        <Table.Td>{h.rowCount ?? `~${h.estimatedRows}`}</Table.Td>
                        <Table.Td>{h.clearFields.join(', ') || '—'}</Table.Td>
                        <Table.Td>{h.reason}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
              <RowsPerDayChart
                exports={history}
                title="Rows the requester exported per day"
                id="requester-rows-chart"
              />
            </>
          )}
          <Textarea
            label="Comment"
            description="Optional; the requester sees it"
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
            autosize
            minRows={2}
          />
          {needsStepUp(view) && (
            <Alert color="orange" title="Confirm with your authenticator">
              {stepUp ? (
                <TextInput
                  label="Code from your authenticator app"
                  description="Approving sensitive fields in clear needs a fresh code (it is valid for 5 minutes)"
                  value={totp}
                  onChange={(e) => setTotp(e.currentTarget.value)}
                  error={totpError}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maw={320}
                />
              ) : (
                <Text size="sm">
                  You confirmed with your authenticator a moment ago; no new code is needed.
                </Text>
              )}
            </Alert>
          )}
          {failure && (
            <Alert color="red" title="Not done" role="alert">
              {failure}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onDone}>
              Close
            </Button>
            <Button
              color="red"
              variant="light"
              loading={decide.isPending && decide.variables?.decision === 'reject'}
              onClick={() => submit('reject')()}
            >
              Reject
            </Button>
            <Button
              type="submit"
              color="green"
              loading={decide.isPending && decide.variables?.decision === 'approve'}
            >
              Approve
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
