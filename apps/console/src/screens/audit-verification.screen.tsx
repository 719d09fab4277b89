import { Alert, Badge, Button, Code, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { EmptyState, LoadError, Loading } from '../components/states';
import { notifyError } from '../components/notify';
import { useConsole } from '../console-context';
import { verificationVerdict } from '../lib/audit.util';
import { formatDateTime } from '../lib/format.util';

const short = (hash: string) => (hash.length > 20 ? `${hash.slice(0, 16)}…` : hash);

/** The tamper evidence: signed checkpoints of the trail's Merkle tree, and a full verification on demand. */
export function AuditVerificationScreen() {
  const { audit } = useConsole();
  const checkpoints = useQuery({ queryKey: ['audit-checkpoints'], queryFn: () => audit.checkpoints(10) });
  const verify = useMutation({
    mutationFn: audit.verify,
    onError: (error) => notifyError('Could not verify the trail', error),
    onSuccess: () => void checkpoints.refetch(),
  });
  const verdict = verify.data ? verificationVerdict(verify.data) : null;

  return (
    <Stack>
      <Title order={2}>Trail verification</Title>
      <Paper withBorder p="md">
        <Group justify="space-between" align="flex-start">
          <Text size="sm" maw={640}>
            Rechecks every event’s hash, each stream’s hash chain, the Merkle tree and every signed
            checkpoint. Any altered, removed, inserted or reordered event is named with its position. The run
            is recorded.
          </Text>
          <Button onClick={() => verify.mutate()} loading={verify.isPending}>
            Verify the trail now
          </Button>
        </Group>
      </Paper>
      {verdict && verify.data && (
        <Alert
          color={verdict.ok ? 'green' : 'red'}
          title={verdict.title}
          role="status"
          data-testid="verification-verdict"
        >
          <Text size="sm">{verdict.detail}</Text>
          <Text size="xs" c="dimmed">
            Verified {formatDateTime(verify.data.verifiedAt)} · tree size {verify.data.treeSize}
          </Text>
        </Alert>
      )}
      {verify.data && verify.data.problems.length > 0 && (
        <Table.ScrollContainer minWidth={800}>
          <Table striped aria-label="Problems found">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Position</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>Stream</Table.Th>
                <Table.Th>Detail</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {verify.data.problems.map((p, i) => (
                <Table.Tr key={`${p.position ?? 'x'}-${i}`}>
                  <Table.Td>
                    <Badge color="red">{p.kind}</Badge>
                  </Table.Td>
                  <Table.Td>{p.position ?? '—'}</Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {p.eventId ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {p.streamId ?? '—'}
                      {p.streamVersion !== null && ` v${p.streamVersion}`}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs">{p.detail}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Title order={3} size="h4">
        Signed checkpoints
      </Title>
      {checkpoints.isPending && <Loading label="Loading checkpoints" />}
      {checkpoints.error && <LoadError what="the checkpoints" error={checkpoints.error} />}
      {checkpoints.data && (
        <>
          <Text size="sm">
            Signing key <Code>{checkpoints.data.keyId}</Code> (Ed25519, public key{' '}
            <Code>{short(checkpoints.data.publicKey)}</Code>): anyone with it can check a checkpoint offline.
          </Text>
          {checkpoints.data.items.length === 0 ? (
            <EmptyState title="No checkpoint yet">
              A checkpoint is signed at an interval once the trail has grown; come back in a minute.
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={700}>
              <Table striped aria-label="Signed checkpoints">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Signed</Table.Th>
                    <Table.Th>Tree size</Table.Th>
                    <Table.Th>Root hash</Table.Th>
                    <Table.Th>Signature</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {checkpoints.data.items.map((c) => (
                    <Table.Tr key={c.treeSize}>
                      <Table.Td>{formatDateTime(c.issuedAt)}</Table.Td>
                      <Table.Td>{c.treeSize}</Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace">
                          {short(c.rootHash)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace">
                          {c.algorithm} {short(c.signature)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </>
      )}
    </Stack>
  );
}
