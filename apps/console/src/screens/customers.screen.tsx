import {
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { SEARCH_FIELDS, type SearchField } from '../api/customers.api';
import { EmptyState, LoadError, Loading } from '../components/states';
import { sessionKey, useClaims, useConsole } from '../console-context';
import { fieldDisplay } from '../lib/masking.util';
import { customerSearchSchema, validate, type FieldErrors } from '../lib/validation.util';

const FIELD_LABELS: Record<SearchField, string> = {
  mobile: 'Mobile',
  email: 'E-mail',
  nationalId: 'National ID',
};
const PAGE_SIZE = 20;

type Search = { field: SearchField; value: string };
/**
 * The last search of this tab, kept in memory only (not in the URL or storage: it may be a phone
 * number or an ID), so coming back from a customer shows the same list. It belongs to the session
 * that made it: after a sign-out, the next person in this tab starts with an empty search.
 */
let lastSearch: { session: string | null; search: Search | null; cursors: Array<string | undefined> } = {
  session: null,
  search: null,
  cursors: [undefined],
};

/** Customers within the caller's view, found by an exact mobile, e-mail or national ID, page by page. */
export function CustomersScreen() {
  const { customers } = useConsole();
  const session = sessionKey(useClaims());
  const [kept] = useState(() =>
    lastSearch.session === session ? lastSearch : { search: null, cursors: [undefined] },
  );
  const [field, setField] = useState<SearchField>(kept.search?.field ?? 'mobile');
  const [value, setValue] = useState(kept.search?.value ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [search, setSearch] = useState<Search | null>(kept.search);
  // cursors[i] is the cursor of page i (undefined for the first page).
  const [cursors, setCursors] = useState<Array<string | undefined>>(kept.cursors);
  const cursor = cursors[cursors.length - 1];
  lastSearch = { session, search, cursors };

  const page = useQuery({
    queryKey: ['customers', search?.field, search?.value, cursor],
    queryFn: () =>
      search
        ? customers.search(search.field, search.value, cursor, PAGE_SIZE)
        : Promise.resolve({ items: [], nextCursor: null }),
    enabled: search !== null,
    placeholderData: keepPreviousData,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(customerSearchSchema, { field, value });
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    setSearch(checked.value);
    setCursors([undefined]);
  };

  return (
    <Stack>
      <Title order={2}>Customers</Title>
      <Paper withBorder p="md">
        <form onSubmit={submit} noValidate aria-label="Find customers">
          <Group align="flex-start" wrap="wrap">
            <Select
              label="Search by"
              data={SEARCH_FIELDS.map((f) => ({ value: f, label: FIELD_LABELS[f] }))}
              value={field}
              onChange={(next) => next && setField(next as SearchField)}
              allowDeselect={false}
              w={160}
            />
            <TextInput
              label={`Exact ${FIELD_LABELS[field].toLowerCase()}`}
              description="Matched exactly (spaces and dashes in phone numbers do not matter)"
              value={value}
              onChange={(e) => setValue(e.currentTarget.value)}
              error={errors.value}
              miw={260}
              style={{ flex: 1 }}
            />
            <Button type="submit" mt={24}>
              Search
            </Button>
          </Group>
        </form>
      </Paper>
      {!search && (
        <EmptyState title="Search for a customer">
          Enter a customer’s exact mobile number, e-mail address or national ID. You see only the customers
          your role and grants give you; sensitive fields appear masked unless your role shows them in clear.
        </EmptyState>
      )}
      {search && page.isPending && <Loading label="Searching customers" />}
      {search && page.error && <LoadError what="customers" error={page.error} />}
      {search && page.data && page.data.items.length === 0 && (
        <EmptyState title="No customer found">
          No customer you may see has this {FIELD_LABELS[search.field].toLowerCase()}. Check the value, or ask
          for a grant if the customer belongs to another team.
        </EmptyState>
      )}
      {page.data && page.data.items.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover aria-label="Customers found">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Mobile</Table.Th>
                  <Table.Th>E-mail</Table.Th>
                  <Table.Th>National ID</Table.Th>
                  <Table.Th>Classification</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {page.data.items.map((customer) => (
                  <Table.Tr key={customer.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/customers/${customer.id}`}>
                        {customer.name ?? customer.id}
                      </Anchor>
                    </Table.Td>
                    {(['mobile', 'email', 'nationalId'] as const).map((f) => {
                      const shown = fieldDisplay(customer, f);
                      return (
                        <Table.Td key={f}>
                          <Text
                            size="sm"
                            c={shown.state === 'hidden' ? 'dimmed' : undefined}
                            ff={shown.state === 'masked' ? 'monospace' : undefined}
                          >
                            {shown.text}
                          </Text>
                        </Table.Td>
                      );
                    })}
                    <Table.Td>
                      {customer.classification && <Badge variant="light">{customer.classification}</Badge>}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              Page {cursors.length}
            </Text>
            <Group>
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
          </Group>
        </>
      )}
    </Stack>
  );
}
