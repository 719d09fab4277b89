import { Alert, Badge, Button, Group, List, Paper, SimpleGrid, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../api/api-error';
import type { Grant } from '../api/authorization.api';
import { useClaims, useConsole } from '../console-context';
import { formatDateTime, formatExpiry } from '../lib/format.util';
import { describePermission, granteesOf, grantsAwaitingDecision } from '../lib/grants.util';
import { Fact } from './fact';
import { notifyError, notifySuccess } from './notify';
import { EmptyState, LoadError, Loading } from './states';
import { usePersonLabels } from './use-person-labels';

/**
 * The grant requests awaiting the caller's decision (`GET /v1/grants?status=pending`: the service
 * answers with the caller's own and those they may approve — their teams' for a supervisor,
 * anyone's for a security officer), each in plain words, approved or rejected with a comment.
 */
export function GrantApprovals() {
  const claims = useClaims();
  const { authorization } = useConsole();
  const pending = useQuery({
    queryKey: ['grants', 'pending'],
    queryFn: () => authorization.grants({ status: 'pending' }),
    refetchInterval: 10_000,
  });
  const awaiting = grantsAwaitingDecision(pending.data ?? [], claims?.userId ?? '');
  const people = usePersonLabels(
    awaiting.map((grant) => grant.userId),
    granteesOf(awaiting),
  );

  return (
    <Stack component="section" aria-label="Grant requests">
      <Title order={3}>Grant requests</Title>
      <Text c="dimmed" size="sm">
        Temporary extra access asked for by the people of your teams (or anyone, for security officers).
        A grant applies from your approval until it ends, unless it is revoked.
      </Text>
      {pending.isPending && <Loading label="Loading grant requests awaiting you" />}
      {pending.error && <LoadError what="the grant requests awaiting you" error={pending.error} />}
      {pending.data && awaiting.length === 0 && (
        <EmptyState title="No grant request to decide">
          No grant request waits for your decision. When someone in your teams asks for temporary access
          under “Grants”, the request appears here.
        </EmptyState>
      )}
      {!people.directory && awaiting.some((grant) => !grant.grantee) && (
        <Text size="xs" c="dimmed">
          Your role may not read the user directory, so people are shown by their user id.
        </Text>
      )}
      {awaiting.map((grant) => (
        <GrantRequest key={grant.id} grant={grant} person={people.label(grant.userId)} />
      ))}
    </Stack>
  );
}

function GrantRequest({ grant, person }: { grant: Grant; person: string }) {
  const { authorization } = useConsole();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const decide = useMutation({
    mutationFn: (decision: 'approve' | 'reject') =>
      authorization.decideGrant(grant.id, decision, comment.trim() || undefined),
    onSuccess: (decided, decision) => {
      notifySuccess(
        decision === 'approve'
          ? `Grant for ${person} approved: it is ${decided.status} until ${formatDateTime(decided.expiresAt)}.`
          : `Grant for ${person} rejected.`,
      );
      void queryClient.invalidateQueries({ queryKey: ['grants'] });
    },
    onError: (error, decision) => {
      setFailure(describeError(error));
      notifyError(`Could not ${decision} the grant`, error);
    },
  });
  const run = (decision: 'approve' | 'reject') => {
    setFailure(null);
    decide.mutate(decision);
  };

  return (
    <Paper withBorder p="md" component="section" aria-label={`Grant request of ${person}`}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4} size="h5">
            {person} asks for temporary access
          </Title>
          <Badge color="yellow">awaiting your decision</Badge>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <Fact label="Person">{person}</Fact>
          <Fact label="Until">
            {formatDateTime(grant.expiresAt)} ({formatExpiry(grant.expiresAt, new Date())})
          </Fact>
          <Fact label="Reason">“{grant.reason}”</Fact>
          <Fact label="Requested">
            {formatDateTime(grant.createdAt)}
            {grant.requestedBy !== grant.userId && ' by an administrator on their behalf'}
          </Fact>
        </SimpleGrid>
        <Fact label="What it allows">
          <List size="sm" spacing={4}>
            {grant.permissions.map((permission, i) => {
              const words = describePermission(permission);
              return (
                <List.Item key={i}>
                  <Text span fw={700} size="sm">
                    {words.what}
                  </Text>{' '}
                  — {words.scope}
                  {words.fields && (
                    <>
                      ; fields:{' '}
                      <Text span c={/in clear/.test(words.fields) ? 'orange.8' : undefined} fw={600} size="sm">
                        {words.fields}
                      </Text>
                    </>
                  )}
                </List.Item>
              );
            })}
          </List>
        </Fact>
        <Textarea
          label="Comment"
          description="Optional; recorded with your decision"
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          autosize
          minRows={1}
        />
        {failure && (
          <Alert color="red" title="Not done" role="alert">
            {failure}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button
            color="red"
            variant="light"
            loading={decide.isPending && decide.variables === 'reject'}
            disabled={decide.isPending}
            onClick={() => run('reject')}
          >
            Reject
          </Button>
          <Button
            color="green"
            loading={decide.isPending && decide.variables === 'approve'}
            disabled={decide.isPending}
            onClick={() => run('approve')}
          >
            Approve
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
