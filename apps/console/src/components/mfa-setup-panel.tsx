import { Button, Code, Group, List, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Enrolment } from '../api/authorization.api';
import { useConsole } from '../console-context';
import { totpCodeSchema, validate } from '../lib/validation.util';
import { notifyError, notifySuccess } from './notify';

/**
 * Two-factor authentication for a signed-in person whose role does not require it (a supervisor
 * who approves exports with fields in clear needs it for the step-up): a new key, a code from the
 * app to turn it on, and the recovery codes, shown once.
 */
export function MfaSetupPanel() {
  const { authorization } = useConsole();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [codes, setCodes] = useState<string[] | null>(null);
  const start = useMutation({
    mutationFn: () => authorization.enroll(),
    onSuccess: (result) => setEnrolment(result),
    onError: (failure) => notifyError('Could not start the set-up', failure),
  });
  const activate = useMutation({
    mutationFn: (totp: string) => authorization.activate(totp),
    onSuccess: (result) => {
      setCodes(result.recoveryCodes);
      setEnrolment(null);
      setCode('');
      notifySuccess('Two-factor authentication is on: from now on, sign-in asks for a code.');
    },
    onError: (failure) => notifyError('Could not turn on two-factor authentication', failure),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(totpCodeSchema, code);
    setError(checked.ok ? undefined : checked.errors.form);
    if (checked.ok) activate.mutate(checked.value);
  };

  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={3} size="h5">
          Two-factor authentication
        </Title>
        <Text size="sm" c="dimmed">
          Not required by your role yet? Set it up to protect your account — approving exports with sensitive
          fields in clear needs a code from your authenticator app.
        </Text>
        {!enrolment && !codes && (
          <Group>
            <Button variant="default" loading={start.isPending} onClick={() => start.mutate()}>
              Set up an authenticator app
            </Button>
          </Group>
        )}
        {enrolment && (
          <form onSubmit={submit} noValidate aria-label="Turn on two-factor authentication">
            <Stack gap="xs">
              <Text size="sm">Add this key to your authenticator app, then enter the code it shows.</Text>
              <Code style={{ wordBreak: 'break-all' }} data-testid="mfa-setup-secret">
                {enrolment.secret}
              </Code>
              <a href={enrolment.otpauthUri}>Open in an authenticator app</a>
              <Group align="flex-end">
                <TextInput
                  label="Code from the app"
                  value={code}
                  onChange={(e) => setCode(e.currentTarget.value)}
                  error={error}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                />
                <Button type="submit" loading={activate.isPending}>
                  Turn on
                </Button>
              </Group>
            </Stack>
          </form>
        )}
        {codes && (
          <>
            <Text size="sm" fw={600}>
              Your recovery codes (shown once; each signs you in once without the app):
            </Text>
            <List ff="monospace" aria-label="Your recovery codes">
              {codes.map((c) => (
                <List.Item key={c}>{c}</List.Item>
              ))}
            </List>
          </>
        )}
      </Stack>
    </Paper>
  );
}
