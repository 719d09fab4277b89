import {
  Anchor,
  Button,
  Code,
  Group,
  Modal,
  Paper,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { AUDIT_SERVICES, type AuditFilters, type TrailItem } from '../api/audit.api';
import { notifyError, notifySuccess } from '../components/notify';
import { saveFile } from '../components/save-file';
import { EmptyState, LoadError, Loading } from '../components/states';
import { sessionKey, useClaims, useConsole } from '../console-context';
import {
  auditSearchSchema,
  customersOf,
  EMPTY_AUDIT_SEARCH,
  sourceOfTopic,
  summarizeData,
  type AuditSearchForm,
} from '../lib/audit.util';
import { formatDateTime } from '../lib/format.util';
import { validate, type FieldErrors } from '../lib/validation.util';

const PAGE_SIZE = 50;
const TEXT_INPUTS: Array<{ key: keyof AuditSearchForm; label: string; placeholder?: string }> = [
  { key: 'actor', label: 'Actor (user id)', placeholder: 'a user id or system:exports' },
  { key: 'customer', label: 'Customer id' },
  { key: 'type', label: 'Event types', placeholder: 'ExportRequested, ExportApproved' },
  { key: 'ip', label: 'IP address' },
  { key: 'correlationId', label: 'Correlation id' },
];

/**
 * The last search of this tab, kept in memory only, so coming back from a customer shows the same
 * page. It belongs to the session that made it: the next person signed in here starts afresh.
 */
type KeptSearch = { form: AuditSearchForm; filters: AuditFilters | null; cursors: Array<string | undefined> };
const NO_SEARCH: KeptSearch = { form: EMPTY_AUDIT_SEARCH, filters: null, cursors: [undefined] };
let lastSearch: KeptSearch & { session: string | null } = { ...NO_SEARCH, session: null };

/** Search of the audit trail, newest first, with cursor paging and the whole search as a CSV or JSON file. */
export function AuditSearchScreen() {
  const { audit } = useConsole();
  const session = sessionKey(useClaims());
  const [kept] = useState<KeptSearch>(() => (lastSearch.session === session ? lastSearch : NO_SEARCH));
  const [form, setForm] = useState<AuditSearchForm>(kept.form);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [filters, setFilters] = useState<AuditFilters | null>(kept.filters);
  const [cursors, setCursors] = useState<Array<string | undefined>>(kept.cursors);
  const [details, setDetails] = useState<TrailItem | null>(null);
  // Each search asks again, even with the same filters (the trail grows all the time).
  const [run, setRun] = useState(0);
  const cursor = cursors[cursors.length - 1];
  lastSearch = { session, form, filters, cursors };

  const page = useQuery({
    queryKey: ['audit-search', filters, cursor, run],
    queryFn: () => audit.search(filters ?? {}, cursor, PAGE_SIZE),
    enabled: filters !== null,
    placeholderData: keepPreviousData,
  });

  const exportFile = useMutation({
    mutationFn: (format: 'csv' | 'json') => audit.exportFile(filters ?? {}, format),
    onSuccess: (file) => {
      saveFile(file);
      notifySuccess(`Saved ${file.filename}; the export is recorded in the audit trail.`);
    },
    onError: (error) => notifyError('Could not export the search', error),
  });

  const search = (next: AuditSearchForm) => {
    const checked = validate(auditSearchSchema, next);
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    setFilters(checked.value);
    setCursors([undefined]);
    setRun((n) => n + 1);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    search(form);
  };
  const set = (key: keyof AuditSearchForm) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  return (
    <Stack>
      <Title order={2}>Audit search</Title>
      <Paper withBorder p="md">
        <form onSubmit={submit} noValidate aria-label="Search the audit trail">
          <Stack>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
              {TEXT_INPUTS.map((input) => (
                <TextInput
                  key={input.key}
                  label={input.label}
                  placeholder={input.placeholder}
                  value={form[input.key]}
                  onChange={(e) => set(input.key)(e.currentTarget.value)}
                  error={errors[input.key]}
                />
              ))}
              <Select
                label="Service"
                data={[{ value: '', label: 'Any' }, ...AUDIT_SERVICES.map((s) => ({ value: s, label: s }))]}
                value={form.service}
                onChange={(v) => set('service')(v ?? '')}
                allowDeselect={false}
                error={errors.service}
              />
              <TextInput
                type="datetime-local"
                label="From"
                value={form.from}
                onChange={(e) => set('from')(e.currentTarget.value)}
                error={errors.from}
              />
              <TextInput
                type="datetime-local"
                label="To"
                value={form.to}
                onChange={(e) => set('to')(e.currentTarget.value)}
                error={errors.to}
              />
            </SimpleGrid>
            <Group justify="space-between">
              <Text size="xs" c="dimmed">
                Every filter is optional; they combine. Times are in your time zone.
              </Text>
              <Group>
                <Button
                  variant="default"
                  onClick={() => {
                    setForm(EMPTY_AUDIT_SEARCH);
                    setErrors({});
                  }}
                >
                  Clear
                </Button>
                <Button type="submit">Search</Button>
              </Group>
            </Group>
          </Stack>
        </form>
      </Paper>
      {!filters && (
        <EmptyState title="Search the audit trail">
          Every change and every read in Warden is an event here: who did it, from where, on what. Filter by a
          person, a customer, event types or a time range, then search (an empty search lists the latest
          events).
        </EmptyState>
      )}
      {filters && page.isPending && <Loading label="Searching the trail" />}
      {filters && page.error && <LoadError what="the audit trail" error={page.error} />}
      {filters && page.data && page.data.items.length === 0 && (
        <EmptyState title="No event matches">
          Widen the time range or remove a filter. Events appear here a moment after they happen.
        </EmptyState>
      )}
      {filters && page.data && page.data.items.length > 0 && (
        <>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              Page {cursors.length} · newest first
            </Text>
            <Group>
              <Button
                variant="default"
                size="xs"
                loading={exportFile.isPending && exportFile.variables === 'csv'}
                onClick={() => exportFile.mutate('csv')}
              >
                Export CSV
              </Button>
              <Button
                variant="default"
                size="xs"
                loading={exportFile.isPending && exportFile.variables === 'json'}
                onClick={() => exportFile.mutate('json')}
              >
                Export JSON
              </Button>
            </Group>
          </Group>
          <Table.ScrollContainer minWidth={980}>
            <Table striped highlightOnHover aria-label="Audit events" verticalSpacing={6}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th>IP</Table.Th>
                  <Table.Th>Customers</Table.Th>
                  <Table.Th>Data</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.data.items.map((item) => (
                  <Table.Tr key={`${item.position}`}>
                    <Table.Td>{formatDateTime(item.event.occurredAt)}</Table.Td>
                    <Table.Td>
                      <Anchor
                        component="button"
                        type="button"
                        onClick={() => setDetails(item)}
                        fw={600}
                        size="sm"
                      >
                        {item.event.type}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs">{sourceOfTopic(item.topic)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace">
                        {item.event.actor?.userId ?? '—'}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs">{item.event.actor?.ip ?? '—'}</Text>
                    </Table.Td>
                    <Table.Td>
                      {customersOf(item)
                        .slice(0, 3)
                        .map((id) => (
                          <Anchor
                            key={id}
                            component={Link}
                            to={`/audit/customers/${id}`}
                            size="xs"
                            ff="monospace"
                            display="block"
                          >
                            {id.slice(0, 8)}…
                          </Anchor>
                        ))}
                    </Table.Td>
                    <Table.Td maw={360}>
                      <Text size="xs" lineClamp={2}>
                        {summarizeData(item.event.data)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
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
              disabled={!page.data.nextCursor}
              onClick={() => setCursors((c) => [...c, page.data.nextCursor ?? undefined])}
            >
              Next page
            </Button>
          </Group>
        </>
      )}
      <Modal
        opened={details !== null}
        onClose={() => setDetails(null)}
        title={details?.event.type ?? ''}
        size="xl"
      >
        {details && (
          <Stack gap="xs">
            <Text size="sm">
              Position {details.position} in the trail · {details.topic} · indexed{' '}
              {formatDateTime(details.indexedAt)}
            </Text>
            {details.event.correlationId && (
              <Group gap="xs">
                <Text size="sm">Correlation id</Text>
                <Code>{details.event.correlationId}</Code>
                <Button
                  size="xs"
                  variant="light"
                  onClick={() => {
                    const next = { ...EMPTY_AUDIT_SEARCH, correlationId: details.event.correlationId ?? '' };
                    setForm(next);
                    setDetails(null);
                    search(next);
                  }}
                >
                  Everything with this id
                </Button>
              </Group>
            )}
            <ScrollArea.Autosize mah={420}>
              <Code block>{JSON.stringify(details.event, null, 2)}</Code>
            </ScrollArea.Autosize>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
