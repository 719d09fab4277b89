import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  List,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { EXPORT_FORMATS, type ExportFormat, type ExportView } from '../api/exports.api';
import { useConsole } from '../console-context';
import {
  approvalReasonText,
  EMPTY_FILTER_FORM,
  exportFieldChoices,
  exportRequestSchema,
  orderFields,
  type ExportFilterForm,
  type SensitiveExportField,
} from '../lib/exports.util';
import { validate, type FieldErrors } from '../lib/validation.util';
import { notifyError, notifySuccess } from './notify';
import { EmptyState, LoadError, Loading } from './states';

const FILTER_INPUTS: Array<{ key: keyof ExportFilterForm; label: string; description?: string }> = [
  { key: 'q', label: 'Name or company contains' },
  { key: 'tags', label: 'Tags', description: 'Comma-separated; a customer must have every one' },
  { key: 'ownerId', label: 'Owner (user id)' },
  { key: 'teamId', label: 'Team (team id)' },
  { key: 'mobile', label: 'Exact mobile' },
  { key: 'email', label: 'Exact e-mail' },
  { key: 'nationalId', label: 'Exact national ID' },
];
const FORMAT_LABELS: Record<ExportFormat, string> = { csv: 'CSV', xlsx: 'Excel', jsonl: 'JSON lines' };
const DEFAULT_FIELDS = ['name', 'company', 'mobile', 'email'];

/**
 * The export request: a filter with the customer search's fields, the fields (and which sensitive
 * ones in clear) offered at the caller's own field levels, a format and a reason. The answer says
 * how many rows are expected and whether (and why) a person must approve first.
 */
export function ExportRequestForm() {
  const { authorization, exports } = useConsole();
  const queryClient = useQueryClient();
  const levels = useQuery({
    queryKey: ['export-field-levels'],
    queryFn: async () => {
      const { results } = await authorization.decisions([
        { subject: 'Customer', action: 'export' },
        { subject: 'Customer', action: 'read' },
      ]);
      return exportFieldChoices({ export: results[0], read: results[1] });
    },
    staleTime: 60_000,
  });
  const [filter, setFilter] = useState<ExportFilterForm>(EMPTY_FILTER_FORM);
  const [fields, setFields] = useState<string[]>(DEFAULT_FIELDS);
  const [clearFields, setClearFields] = useState<string[]>([]);
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [answer, setAnswer] = useState<ExportView | null>(null);

  const request = useMutation({
    mutationFn: exports.request,
    onSuccess: (view) => {
      setAnswer(view);
      setReason('');
      notifySuccess(
        view.approvalRequired
          ? `Export requested: about ${view.estimatedRows} rows; it waits for approval.`
          : `Export requested: about ${view.estimatedRows} rows; it is being generated.`,
      );
      void queryClient.invalidateQueries({ queryKey: ['exports'] });
    },
    onError: (error) => notifyError('Could not request the export', error),
  });

  if (levels.isPending) return <Loading label="Loading what you may export" />;
  if (levels.error) return <LoadError what="what you may export" error={levels.error} />;
  if (!levels.data.allowed) {
    return (
      <EmptyState title="Your role does not export customers">
        Exports are requested by the people who work the customers (staff). If you need a file of customers,
        ask for a grant that allows exporting, or ask a colleague who owns them.
      </EmptyState>
    );
  }
  const choices = levels.data.choices;
  const offered = choices.filter((c) => c.exportable);
  const toggle = (list: string[], value: string, on: boolean) =>
    on ? [...new Set([...list, value])] : list.filter((v) => v !== value);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(exportRequestSchema, {
      filter,
      fields: orderFields(fields),
      clearFields: orderFields(clearFields.filter((f) => fields.includes(f))),
      format,
      reason,
    });
    setErrors(checked.ok ? {} : checked.errors);
    if (checked.ok) request.mutate(checked.value);
  };

  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} noValidate aria-label="Request an export">
        <Stack>
          <Title order={3} size="h4">
            Request an export
          </Title>
          <Text size="sm" c="dimmed">
            Only customers in your own view are exported. Sensitive fields are masked unless you ask for them
            in clear (possible only where your role shows them in clear); every file is fingerprinted and can
            be downloaded once.
          </Text>
          <Title order={4} size="h6">
            Which customers
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {FILTER_INPUTS.map((input) => (
              <TextInput
                key={input.key}
                label={input.label}
                description={input.description}
                value={filter[input.key]}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  setFilter((f) => ({ ...f, [input.key]: value }));
                }}
                error={errors[`filter.${input.key}`]}
              />
            ))}
            <Select
              label="Classification"
              data={[
                { value: '', label: 'Any' },
                ...['public', 'internal', 'confidential', 'restricted'].map((c) => ({ value: c, label: c })),
              ]}
              value={filter.classification}
              onChange={(v) => setFilter((f) => ({ ...f, classification: v ?? '' }))}
              allowDeselect={false}
              error={errors['filter.classification']}
            />
            <Select
              label="Status"
              data={[
                { value: '', label: 'Active (default)' },
                { value: 'active', label: 'Active' },
                { value: 'archived', label: 'Archived' },
              ]}
              value={filter.status}
              onChange={(v) => setFilter((f) => ({ ...f, status: v ?? '' }))}
              allowDeselect={false}
              error={errors['filter.status']}
            />
          </SimpleGrid>
          <Title order={4} size="h6" id="export-fields">
            Which fields
          </Title>
          <Table aria-labelledby="export-fields" withTableBorder verticalSpacing={4}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Your level</Table.Th>
                <Table.Th>In clear</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {offered.map((choice) => (
                <Table.Tr key={choice.field}>
                  <Table.Td>
                    <Checkbox
                      label={choice.label}
                      checked={fields.includes(choice.field)}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setFields((list) => toggle(list, choice.field, on));
                        if (!on) setClearFields((list) => toggle(list, choice.field, false));
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    {choice.sensitive ? (
                      <Badge variant="light" color={choice.level === 'clear' ? 'orange' : 'gray'}>
                        {choice.level}
                      </Badge>
                    ) : (
                      <Text size="xs" c="dimmed">
                        not sensitive
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {choice.clearable ? (
                      <Checkbox
                        aria-label={`${choice.label} in clear`}
                        checked={clearFields.includes(choice.field)}
                        disabled={!fields.includes(choice.field)}
                        onChange={(e) => {
                          const on = e.currentTarget.checked;
                          setClearFields((list) => toggle(list, choice.field as SensitiveExportField, on));
                        }}
                      />
                    ) : (
                      <Text size="xs" c="dimmed">
                        {choice.sensitive ? 'masked in the file' : '—'}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {(errors.fields || errors.clearFields) && (
            <Text c="red" size="sm" role="alert">
              {errors.fields ?? errors.clearFields}
            </Text>
          )}
          {choices.some((c) => !c.exportable) && (
            <Text size="xs" c="dimmed">
              Not offered (your role does not show them):{' '}
              {choices
                .filter((c) => !c.exportable)
                .map((c) => c.label)
                .join(', ')}
              .
            </Text>
          )}
          {clearFields.length > 0 && (
            <Alert color="orange" title="Sensitive fields in clear">
              An export with {clearFields.length === 1 ? 'a field' : 'fields'} in clear always needs a
              supervisor’s or security officer’s approval, confirmed with their authenticator code.
            </Alert>
          )}
          <Group align="flex-start" wrap="wrap">
            <div>
              <Text size="sm" fw={500} id="export-format" mb={4}>
                Format
              </Text>
              <SegmentedControl
                aria-labelledby="export-format"
                value={format}
                onChange={(v) => setFormat(v as ExportFormat)}
                data={EXPORT_FORMATS.map((f) => ({ value: f, label: FORMAT_LABELS[f] }))}
              />
            </div>
            <Textarea
              label="Reason"
              description="Why you need this file: the approver and the audit trail see it"
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              error={errors.reason}
              autosize
              minRows={2}
              style={{ flex: 1 }}
              miw={280}
            />
          </Group>
          <Group justify="flex-end">
            <Button type="submit" loading={request.isPending}>
              Request export
            </Button>
          </Group>
          {answer && <RequestAnswer view={answer} />}
        </Stack>
      </form>
    </Paper>
  );
}

/** What the service answered: the estimate and whether (why) it waits for approval. */
function RequestAnswer({ view }: { view: ExportView }) {
  return (
    <Alert
      color={view.approvalRequired ? 'yellow' : 'green'}
      title={view.approvalRequired ? 'Waiting for approval' : 'Being generated'}
      data-testid="export-request-answer"
    >
      <Text size="sm">
        Estimated rows: <b data-testid="estimated-rows">{view.estimatedRows}</b>. Approval required:{' '}
        <b>{view.approvalRequired ? 'yes' : 'no'}</b>.
      </Text>
      {view.approvalRequired && (
        <List size="sm" mt={4}>
          {view.approvalReasons.map((reason) => (
            <List.Item key={reason}>{approvalReasonText(reason)}</List.Item>
          ))}
        </List>
      )}
      <Text size="xs" c="dimmed" mt={4}>
        Follow it in “My exports” below.
      </Text>
    </Alert>
  );
}
