import { Alert, Badge, Button, Group, Progress, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { describeError } from '../api/api-error';
import type { ExportView } from '../api/exports.api';
import { ExportRequestForm } from '../components/export-request-form';
import { notifyError, notifySuccess } from '../components/notify';
import { RowsPerDayChart } from '../components/rows-per-day-chart';
import { saveFile } from '../components/save-file';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { formatDateTime } from '../lib/format.util';
import {
  approvalReasonText,
  exportProgress,
  exportsPollInterval,
  exportStatusDisplay,
  formatBytes,
} from '../lib/exports.util';

type UsedLink = { exportId: string; token: string; format: string; filename: string; bytes: number };
const CANCELLABLE = new Set(['pending_approval', 'queued', 'running', 'completed']);

/** Request an export, follow it live, download it once; a chart of the rows exported per day. */
export function ExportsScreen() {
  const { exports } = useConsole();
  const queryClient = useQueryClient();
  const mine = useQuery({
    queryKey: ['exports', 'mine'],
    queryFn: exports.mine,
    refetchInterval: (query) => exportsPollInterval(query.state.data ?? []),
  });
  const [used, setUsed] = useState<UsedLink | null>(null);
  const [second, setSecond] = useState<string | null>(null);

  const download = useMutation({
    mutationFn: async (view: ExportView) => {
      const link = await exports.createLink(view.id);
      const file = await exports.download(view.id, link.token, view.format);
      return { view, link, file };
    },
    onSuccess: ({ view, link, file }) => {
      saveFile(file);
      setUsed({
        exportId: view.id,
        token: link.token,
        format: view.format,
        filename: file.filename,
        bytes: file.blob.size,
      });
      setSecond(null);
      notifySuccess(`Downloaded ${file.filename}. The link is used up.`);
      void queryClient.invalidateQueries({ queryKey: ['exports'] });
    },
    onError: (error) => notifyError('Could not download the export', error),
  });

  /** Uses the same one-time link again, to show that the service refuses it. */
  const tryAgain = useMutation({
    mutationFn: (link: UsedLink) => exports.download(link.exportId, link.token, link.format),
    onSuccess: () => setSecond('The service handed the file out again: report this to a security officer.'),
    onError: (error) => setSecond(`Refused: ${describeError(error)}`),
  });

  const cancel = useMutation({
    mutationFn: (view: ExportView) => exports.cancel(view.id, 'cancelled by the requester'),
    onSuccess: () => {
      notifySuccess('Export cancelled: its file and links are gone.');
      void queryClient.invalidateQueries({ queryKey: ['exports'] });
    },
    onError: (error) => notifyError('Could not cancel the export', error),
  });

  return (
    <Stack>
      <Title order={2}>Exports</Title>
      <ExportRequestForm />
      <Title order={3} size="h4">
        My exports
      </Title>
      {used && (
        <Alert
          color="teal"
          title={`Downloaded ${used.filename} (${formatBytes(used.bytes)})`}
          withCloseButton
          onClose={() => setUsed(null)}
          data-testid="download-outcome"
        >
          <Stack gap="xs">
            <Text size="sm">
              Each download link works once. The file is deleted on the server now; ask for a new export if
              you need it again.
            </Text>
            <Group>
              <Button
                size="xs"
                variant="default"
                loading={tryAgain.isPending}
                onClick={() => tryAgain.mutate(used)}
              >
                Try the used link again
              </Button>
              {second && (
                <Text size="sm" fw={600} data-testid="second-use" role="status">
                  {second}
                </Text>
              )}
            </Group>
          </Stack>
        </Alert>
      )}
      {mine.isPending && <Loading label="Loading your exports" />}
      {mine.error && <LoadError what="your exports" error={mine.error} />}
      {mine.data && mine.data.length === 0 && (
        <EmptyState title="No exports yet">
          Use the form above: choose the customers and fields, say why, and request the export. Small masked
          exports run at once; larger ones, or ones with fields in clear, wait for approval.
        </EmptyState>
      )}
      {mine.data && mine.data.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={860}>
            <Table striped aria-label="My exports" verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Requested</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Rows</Table.Th>
                  <Table.Th>Fields</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {mine.data.map((view) => {
                  const status = exportStatusDisplay(view.status);
                  const generating = view.status === 'queued' || view.status === 'running';
                  return (
                    <Table.Tr key={view.id} data-testid={`export-${view.id}`}>
                      <Table.Td>{formatDateTime(view.createdAt)}</Table.Td>
                      <Table.Td>
                        <Badge color={status.color} variant="light">
                          {status.label}
                        </Badge>
                        {view.status === 'pending_approval' && (
                          <Text size="xs" c="dimmed">
                            {view.approvalReasons.map(approvalReasonText).join('; ')}
                          </Text>
                        )}
                        {view.decisionComment && (
                          <Text size="xs" c="dimmed">
                            “{view.decisionComment}”
                          </Text>
                        )}
                        {generating && (
                          <Progress
                            value={exportProgress(view)}
                            mt={4}
                            size="sm"
                            animated
                            aria-label={`Progress ${exportProgress(view)}%`}
                          />
                        )}
                      </Table.Td>
                      <Table.Td>
                        {view.rowCount ?? `~${view.estimatedRows}`}
                        {view.bytes !== null && (
                          <Text size="xs" c="dimmed">
                            {formatBytes(view.bytes)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{view.fields.join(', ')}</Text>
                        {view.clearFields.length > 0 && (
                          <Text size="xs" c="orange">
                            in clear: {view.clearFields.join(', ')}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td maw={220}>
                        <Text size="sm" lineClamp={2}>
                          {view.reason}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Group gap="xs" wrap="nowrap">
                          {view.status === 'completed' && (
                            <Button
                              size="xs"
                              loading={download.isPending && download.variables?.id === view.id}
                              onClick={() => download.mutate(view)}
                              aria-label={`Download the export of ${formatDateTime(view.createdAt)}`}
                            >
                              Download
                            </Button>
                          )}
                          {CANCELLABLE.has(view.status) && (
                            <Button
                              size="xs"
                              variant="default"
                              color="red"
                              loading={cancel.isPending && cancel.variables?.id === view.id}
                              onClick={() => cancel.mutate(view)}
                            >
                              Cancel
                            </Button>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <RowsPerDayChart
            exports={mine.data}
            title="Rows I exported per day (last 14 days)"
            id="my-rows-chart"
          />
        </>
      )}
    </Stack>
  );
}
