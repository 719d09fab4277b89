import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError } from '../api/api-error';
import { SENSITIVE_FIELDS, type SensitiveField } from '../api/customers.api';
import { notifyError, notifySuccess } from '../components/notify';
import { LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import { fieldDisplay, revealOutcome } from '../lib/masking.util';
import { revealReasonSchema, validate } from '../lib/validation.util';

const LABELS: Record<string, string> = {
  name: 'Name',
  company: 'Company',
  classification: 'Classification',
  tags: 'Tags',
  ownerId: 'Owner',
  teamId: 'Team',
  mobile: 'Mobile',
  email: 'E-mail',
  nationalId: 'National ID',
  address: 'Address',
  status: 'Status',
};
/** Address keeps only the city when masked: it has no `*` to recognise it by. */
const MASKED_WITHOUT_STARS = new Set(['address']);

/** One customer at the caller's field levels, with "reveal" (and a reason) for a masked sensitive field. */
export function CustomerDetailScreen() {
  const { id = '' } = useParams();
  const { customers } = useConsole();
  const customer = useQuery({ queryKey: ['customer', id], queryFn: () => customers.get(id) });
  const [revealing, setRevealing] = useState<SensitiveField | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [revealed, setRevealed] = useState<Partial<Record<SensitiveField, string>>>({});
  const [refusal, setRefusal] = useState<string | null>(null);

  const reveal = useMutation({
    mutationFn: ({ field, why }: { field: SensitiveField; why: string }) => customers.reveal(id, field, why),
    onSuccess: (answer, { field }) => {
      const before = fieldDisplay(customer.data ?? { id }, field).text;
      const outcome = revealOutcome(before, answer, field);
      setRevealing(null);
      setReason('');
      if (outcome.revealed) {
        setRevealed((r) => ({ ...r, [field]: outcome.value }));
        setRefusal(null);
        notifySuccess(`${LABELS[field]} shown in clear; your reason is in the audit trail.`);
      } else {
        setRefusal(`${LABELS[field]} was not revealed: ${outcome.reason}.`);
      }
    },
    onError: (error, { field }) => {
      if (error instanceof ApiError && (error.status === 403 || error.status === 400)) {
        // Refused by the policy (no clear level for this field) or by validation: say why, on the page.
        setRevealing(null);
        setRefusal(`${LABELS[field]} was not revealed: ${error.message}.`);
        return;
      }
      notifyError('Could not reveal the field', error);
    },
  });

  const submitReveal = (event: FormEvent) => {
    event.preventDefault();
    if (!revealing) return;
    const checked = validate(revealReasonSchema, reason);
    setReasonError(checked.ok ? undefined : checked.errors.form);
    if (checked.ok) reveal.mutate({ field: revealing, why: checked.value });
  };

  if (customer.isPending) return <Loading label="Loading the customer" />;
  if (customer.error) return <LoadError what="this customer" error={customer.error} />;
  const view = customer.data as Record<string, unknown>;
  const rows = Object.keys(LABELS).filter(
    (field) => Object.hasOwn(view, field) || (SENSITIVE_FIELDS as readonly string[]).includes(field),
  );

  return (
    <Stack>
      <Anchor component={Link} to="/customers" size="sm">
        ← Back to the search
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{(view.name as string | undefined) ?? 'Customer'}</Title>
        {typeof view.classification === 'string' && <Badge size="lg">{view.classification}</Badge>}
      </Group>
      {refusal && (
        <Alert
          color="yellow"
          title="Not revealed"
          role="alert"
          withCloseButton
          onClose={() => setRefusal(null)}
        >
          {refusal}
        </Alert>
      )}
      <Paper withBorder>
        <Table aria-label="Customer fields" verticalSpacing="sm">
          <Table.Tbody>
            {rows.map((field) => {
              const sensitive = (SENSITIVE_FIELDS as readonly string[]).includes(field);
              const clearValue = revealed[field as SensitiveField];
              const shown = clearValue
                ? { state: 'clear' as const, text: clearValue }
                : fieldDisplay(view, field, MASKED_WITHOUT_STARS);
              return (
                <Table.Tr key={field}>
                  <Table.Th w={180} scope="row">
                    {LABELS[field]}
                  </Table.Th>
                  <Table.Td data-testid={`field-${field}`}>
                    <Group gap="xs">
                      <Text
                        size="sm"
                        ff={sensitive ? 'monospace' : undefined}
                        c={shown.state === 'hidden' ? 'dimmed' : undefined}
                      >
                        {field === 'tags'
                          ? ((view.tags as string[] | undefined) ?? []).join(', ') || '—'
                          : shown.text}
                      </Text>
                      {sensitive && shown.state === 'masked' && <Badge color="gray">masked</Badge>}
                      {sensitive && clearValue && <Badge color="orange">revealed</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td w={120}>
                    {sensitive && shown.state === 'masked' && (
                      <Button
                        size="xs"
                        variant="light"
                        onClick={() => setRevealing(field as SensitiveField)}
                        aria-label={`Reveal ${LABELS[field]}`}
                      >
                        Reveal
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
      <Text size="xs" c="dimmed">
        Updated {formatDateTime(view.updatedAt as string | undefined)}. Every view of this page is recorded in
        the audit trail.
      </Text>
      <Modal
        opened={revealing !== null}
        onClose={() => setRevealing(null)}
        title={revealing ? `Reveal ${LABELS[revealing]}` : ''}
      >
        <form onSubmit={submitReveal} noValidate aria-label="Reveal a field">
          <Stack>
            <Text size="sm">
              The value is shown in clear to you only, and your reason is recorded with your name in the audit
              trail.
            </Text>
            <Textarea
              label="Reason"
              description="For example the ticket or the customer request"
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              error={reasonError}
              autosize
              minRows={2}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRevealing(null)}>
                Cancel
              </Button>
              <Button type="submit" loading={reveal.isPending}>
                Reveal
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
