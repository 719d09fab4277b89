import {
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { sourceOfTopic, summarizeData } from '../lib/audit.util';
import { formatDateTime } from '../lib/format.util';

/** Who viewed, revealed, listed or searched one customer (for a subject access request or an investigation). */
export function AuditCustomerScreen() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { audit } = useConsole();
  const [input, setInput] = useState(id);
  const [error, setError] = useState<string | undefined>();
  const access = useQuery({
    queryKey: ['audit-customer', id],
    queryFn: () => audit.customerAccess(id),
    enabled: id !== '',
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = input.trim();
    if (!value || value.length > 200) {
      setError('Enter the customer id (from the customer page or an audit event)');
      return;
    }
    setError(undefined);
    // The same customer again asks again: the trail grows all the time (a view indexed a moment ago).
    if (value === id) void access.refetch();
    else navigate(`/audit/customers/${encodeURIComponent(value)}`);
  };

  return (
    <Stack>
      <Title order={2}>Customer access history</Title>
      <Paper withBorder p="md">
        <form onSubmit={submit} noValidate aria-label="Find a customer's access history">
          <Group align="flex-start">
            <TextInput
              label="Customer id"
              value={input}
              onChange={(e) => setInput(e.currentTarget.value)}
              error={error}
              miw={360}
              style={{ flex: 1 }}
            />
            <Button type="submit" mt={24}>
              Show history
            </Button>
          </Group>
        </form>
      </Paper>
      {!id && (
        <EmptyState title="Choose a customer">
          Enter a customer id to see everyone who viewed the customer, revealed a field in clear, or found the
          customer in a list or search — with when and how often.
        </EmptyState>
      )}
      {id && access.isPending && <Loading label="Loading the access history" />}
      {id && access.error && <LoadError what="the access history" error={access.error} />}
      {id && access.data && (
        <>
          {access.data.truncated && (
            <Alert color="yellow" title="Only the latest accesses are shown">
              The history is longer than one page; narrow it with the audit search (customer and time range).
            </Alert>
          )}
          {access.data.readers.length === 0 ? (
            <EmptyState title="Nobody accessed this customer">
              No view, reveal, list or search names this customer in the trail (or the id is wrong).
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={700}>
              <Table striped aria-label="Who accessed the customer">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Person</Table.Th>
                    <Table.Th>Views</Table.Th>
                    <Table.Th>Reveals</Table.Th>
                    <Table.Th>Lists and searches</Table.Th>
                    <Table.Th>Other</Table.Th>
                    <Table.Th>Last access</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {access.data.readers.map((reader) => (
                    <Table.Tr key={reader.userId}>
                      <Table.Td>
                        <Code>{reader.userId}</Code>
                      </Table.Td>
                      <Table.Td>{reader.views}</Table.Td>
                      <Table.Td>
                        {reader.reveals > 0 ? <Badge color="orange">{reader.reveals}</Badge> : 0}
                      </Table.Td>
                      <Table.Td>{reader.listings}</Table.Td>
                      <Table.Td>{reader.other}</Table.Td>
                      <Table.Td>{formatDateTime(reader.lastAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          {access.data.items.length > 0 && (
            <>
              <Title order={3} size="h5">
                Events
              </Title>
              <Table.ScrollContainer minWidth={800}>
                <Table aria-label="Access events" verticalSpacing={4}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>When</Table.Th>
                      <Table.Th>Event</Table.Th>
                      <Table.Th>Source</Table.Th>
                      <Table.Th>Actor</Table.Th>
                      <Table.Th>Data</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {access.data.items.map((item) => (
                      <Table.Tr key={item.position}>
                        <Table.Td>{formatDateTime(item.event.occurredAt)}</Table.Td>
                        <Table.Td>{item.event.type}</Table.Td>
                        <Table.Td>{sourceOfTopic(item.topic)}</Table.Td>
                        <Table.Td>
                          <Text size="xs" ff="monospace">
                            {item.event.actor?.userId}
                          </Text>
                        </Table.Td>
                        <Table.Td maw={380}>
                          <Text size="xs" lineClamp={2}>
                            {summarizeData(item.event.data)}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </>
          )}
        </>
      )}
    </Stack>
  );
}
