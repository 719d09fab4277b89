import {
  Badge,
  Button,
  Group,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { SEVERITIES, type RuleView } from '../api/alerts.api';
import { ALERT_HANDLER_ROLES, hasRole } from '../auth/jwt.util';
import { notifyError, notifySuccess } from '../components/notify';
import { LoadError, Loading } from '../components/states';
import { useClaims, useConsole } from '../console-context';
import {
  formatWindow,
  ruleDraftOf,
  ruleLabel,
  rulePatch,
  severityColor,
  thresholdLabel,
  type RuleDraft,
} from '../lib/alerts.util';

/** The detection rules with their thresholds; security officers and admins change them (`PUT /v1/rules/:id`). */
export function RulesScreen() {
  const claims = useClaims();
  const { alerts } = useConsole();
  const rules = useQuery({ queryKey: ['rules'], queryFn: alerts.rules });
  const editable = hasRole(claims, ...ALERT_HANDLER_ROLES);
  return (
    <Stack>
      <Title order={2}>Detection rules</Title>
      <Text size="sm" c="dimmed">
        Each rule counts within its window and raises one alert per person (or network) in it; a repeat
        updates that alert. Changes apply on every instance within a second and are recorded in the audit
        trail.
        {editable ? '' : ' Your role may read the rules, not change them.'}
      </Text>
      {rules.isPending && <Loading label="Loading the rules" />}
      {rules.error && <LoadError what="the rules" error={rules.error} />}
      {rules.data && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          {rules.data.map((rule) => (
            <RuleCard key={rule.id} rule={rule} editable={editable} />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function RuleCard({ rule, editable }: { rule: RuleView; editable: boolean }) {
  const { alerts } = useConsole();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<RuleDraft>(() => ruleDraftOf(rule));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (patch: Partial<RuleView>) => alerts.updateRule(rule.id, patch),
    onSuccess: (saved) => {
      notifySuccess(`${ruleLabel(rule.id)}: saved.`);
      setDraft(ruleDraftOf(saved));
      queryClient.setQueryData<RuleView[]>(['rules'], (list) =>
        list?.map((r) => (r.id === saved.id ? saved : r)),
      );
    },
    onError: (error) => notifyError(`Could not save ${ruleLabel(rule.id)}`, error),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const result = rulePatch(rule, draft);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    setErrors({});
    if (!result.changed) {
      notifySuccess(`${ruleLabel(rule.id)}: nothing changed.`);
      return;
    }
    save.mutate(result.patch);
  };
  const titleId = `rule-${rule.id}`;
  return (
    <Paper
      withBorder
      p="md"
      component="form"
      onSubmit={submit}
      aria-labelledby={titleId}
      data-testid={titleId}
    >
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <div>
            <Text fw={600} id={titleId}>
              {ruleLabel(rule.id)}
            </Text>
            <Text size="xs" c="dimmed" ff="monospace">
              {rule.id}
            </Text>
          </div>
          <Badge color={severityColor(rule.severity)}>{rule.severity}</Badge>
        </Group>
        <Switch
          label="Enabled"
          checked={draft.enabled}
          disabled={!editable}
          onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })}
        />
        <Group grow align="flex-start">
          <Select
            label="Severity"
            data={[...SEVERITIES]}
            value={draft.severity}
            disabled={!editable}
            allowDeselect={false}
            onChange={(value) => setDraft({ ...draft, severity: value ?? draft.severity })}
            error={errors.severity}
          />
          <TextInput
            label="Window (seconds)"
            inputMode="numeric"
            value={draft.windowSeconds}
            disabled={!editable}
            description={`${formatWindow(Number(draft.windowSeconds))}; default ${formatWindow(rule.defaults.windowSeconds)}`}
            onChange={(e) => setDraft({ ...draft, windowSeconds: e.currentTarget.value })}
            error={errors.windowSeconds}
          />
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {Object.keys(rule.thresholds).map((name) => (
            <TextInput
              key={name}
              label={thresholdLabel(name)}
              inputMode="decimal"
              value={draft.thresholds[name] ?? ''}
              disabled={!editable}
              description={`default ${rule.defaults.thresholds[name] ?? '—'}`}
              onChange={(e) =>
                setDraft({ ...draft, thresholds: { ...draft.thresholds, [name]: e.currentTarget.value } })
              }
              error={errors[`thresholds.${name}`]}
            />
          ))}
        </SimpleGrid>
        {rule.response.length > 0 && <Text size="xs">Automated responses: {rule.response.join(', ')}</Text>}
        {editable && (
          <Group>
            <Button type="submit" size="xs" loading={save.isPending}>
              Save {ruleLabel(rule.id).toLowerCase()}
            </Button>
            <Button
              size="xs"
              variant="subtle"
              onClick={() => {
                setErrors({});
                setDraft(ruleDraftOf(rule));
              }}
            >
              Undo changes
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
