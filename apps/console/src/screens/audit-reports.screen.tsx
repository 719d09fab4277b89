import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  Paper,
  ScrollArea,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { notifyError } from '../components/notify';
import { EmptyState, LoadError, Loading } from '../components/states';
import { useConsole } from '../console-context';
import { reportFigures, reportPeriods, reportPeriodSchema } from '../lib/audit.util';
import { formatDateTime } from '../lib/format.util';
import { validate } from '../lib/validation.util';

/** Monthly and quarterly reports: the JSON summary on the page, the printable HTML report on demand. */
export function AuditReportsScreen() {
  const { audit } = useConsole();
  const periods = useMemo(() => reportPeriods(new Date()), []);
  const [choice, setChoice] = useState<string>(periods[0].value);
  const [period, setPeriod] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [html, setHtml] = useState<{ period: string; text: string } | null>(null);

  const report = useQuery({
    queryKey: ['audit-report', period],
    queryFn: () => audit.report(period ?? ''),
    enabled: period !== null,
  });
  const openHtml = useMutation({
    mutationFn: (id: string) => audit.reportHtml(id),
    onSuccess: (text, id) => setHtml({ period: id, text }),
    onError: (failure) => notifyError('Could not open the HTML report', failure),
  });

  const show = () => {
    const checked = validate(reportPeriodSchema, choice);
    setError(checked.ok ? undefined : checked.errors.form);
    if (!checked.ok) return;
    setHtml(null);
    setPeriod(checked.value);
  };

  /** The same HTML in a tab of its own (an object URL of this origin), to print or keep. */
  const openInTab = () => {
    if (!html) return;
    const url = URL.createObjectURL(new Blob([html.text], { type: 'text/html' }));
    window.open(url, '_blank', 'noopener');
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <Stack>
      <Title order={2}>Audit reports</Title>
      <Paper withBorder p="md">
        <Group align="flex-end">
          <Select
            label="Period"
            data={(['Months', 'Quarters'] as const).map((group) => ({
              group,
              // Plain items: an item with a `group` key would itself be taken for a group.
              items: periods.filter((p) => p.group === group).map(({ value, label }) => ({ value, label })),
            }))}
            value={choice}
            onChange={(v) => v && setChoice(v)}
            allowDeselect={false}
            error={error}
            w={220}
          />
          <Button onClick={show}>Show summary</Button>
          <Button
            variant="default"
            disabled={!period}
            loading={openHtml.isPending}
            onClick={() => period && openHtml.mutate(period)}
          >
            Open the HTML report
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt="xs">
          Reports are built from the trail when you ask (and stored by schedule when a month or quarter ends).
          Opening one is recorded in the audit trail.
        </Text>
      </Paper>
      {!period && (
        <EmptyState title="Choose a period">
          Pick a month or a quarter and show its summary: logins and failures, unusual logins, exports and
          rows, reveals, grants, alerts, offboardings and the latest chain verification.
        </EmptyState>
      )}
      {period && report.isPending && <Loading label="Building the report" />}
      {period && report.error && <LoadError what="the report" error={report.error} />}
      {period && report.data && (
        <>
          <Text size="sm">
            {report.data.period}: {formatDateTime(report.data.from)} to {formatDateTime(report.data.to)} ·
            generated {formatDateTime(report.data.generatedAt)}
          </Text>
          <SimpleGrid cols={{ base: 2, md: 4 }} aria-label="Report summary">
            {reportFigures(report.data).map((figure) => (
              <Card key={figure.label} withBorder padding="sm">
                <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                  {figure.label}
                </Text>
                <Text size="xl" fw={700} data-testid={`figure-${figure.label}`}>
                  {figure.value}
                </Text>
                <Text size="xs" c="dimmed">
                  {figure.detail}
                </Text>
              </Card>
            ))}
          </SimpleGrid>
          {report.data.chainVerification ? (
            <Alert color={report.data.chainVerification.ok ? 'green' : 'red'} title="Chain verification">
              {report.data.chainVerification.ok
                ? 'Intact'
                : `${report.data.chainVerification.problemCount} problem(s)`}{' '}
              — {report.data.chainVerification.eventsChecked} events, verified{' '}
              {formatDateTime(report.data.chainVerification.verifiedAt)}.
            </Alert>
          ) : (
            <Alert color="yellow" title="Chain verification">
              No verification had been run when this report was built; run one under “Trail verification”.
            </Alert>
          )}
          <Paper withBorder p="md">
            <Text size="sm" fw={600} mb="xs" id="report-daily">
              Activity per day
            </Text>
            <div role="img" aria-labelledby="report-daily" style={{ height: 220 }}>
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={report.data.daily}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="day" fontSize={11} />
                  <YAxis allowDecimals={false} fontSize={11} width={40} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="logins" fill="#2f9e44" isAnimationActive={false} />
                  <Bar dataKey="exports" fill="#4c6ef5" isAnimationActive={false} />
                  <Bar dataKey="reveals" fill="#ae3ec9" isAnimationActive={false} />
                  <Bar dataKey="alerts" fill="#f59f00" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </Paper>
          <details>
            <summary>
              <Text span size="sm" fw={600}>
                The JSON summary
              </Text>
            </summary>
            <ScrollArea.Autosize mah={360}>
              <Code block data-testid="report-json">
                {JSON.stringify({ ...report.data, daily: `${report.data.daily.length} days` }, null, 2)}
              </Code>
            </ScrollArea.Autosize>
          </details>
        </>
      )}
      {html && (
        <Paper withBorder p="md">
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h5">
              HTML report {html.period}
            </Title>
            <Group>
              <Button size="xs" variant="default" onClick={openInTab}>
                Open in a new tab (to print)
              </Button>
              <Button size="xs" variant="subtle" onClick={() => setHtml(null)}>
                Close
              </Button>
            </Group>
          </Group>
          {/* A sandboxed frame without scripts: the report is static HTML with inline SVG; nothing in it may run. */}
          <iframe
            title={`Audit report ${html.period}`}
            srcDoc={html.text}
            sandbox="allow-same-origin"
            style={{ width: '100%', height: 640, border: '1px solid var(--mantine-color-gray-4)' }}
          />
        </Paper>
      )}
    </Stack>
  );
}
