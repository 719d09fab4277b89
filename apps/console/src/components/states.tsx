import { Alert, Center, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { describeError } from '../api/api-error';

/** What a screen shows when there is nothing yet, and what to do about it. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="lg" radius="md" role="status">
      <Stack gap={4}>
        <Title order={3} size="h5">
          {title}
        </Title>
        <Text c="dimmed" size="sm">
          {children}
        </Text>
      </Stack>
    </Paper>
  );
}

export function LoadError({ what, error }: { what: string; error: unknown }) {
  return (
    <Alert color="red" title={`Could not load ${what}`} role="alert">
      {describeError(error)}
    </Alert>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Center p="xl" aria-busy="true" aria-label={label}>
      <Loader />
    </Center>
  );
}
