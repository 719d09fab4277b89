import {
  Alert,
  Button,
  Center,
  Code,
  CopyButton,
  Group,
  List,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../api/api-error';
import type { TokenPair } from '../auth/token-store';
import { useConsole } from '../console-context';
import {
  secondFactorSchema,
  signInSchema,
  totpCodeSchema,
  validate,
  type FieldErrors,
} from '../lib/validation.util';

type Step =
  | { kind: 'credentials'; needsCode: boolean }
  | { kind: 'enrol'; enrollmentToken: string; secret: string; otpauthUri: string }
  | { kind: 'recovery'; tokens: TokenPair; recoveryCodes: string[] };

/** Sign-in: password, then the second factor (a TOTP code or a recovery code), or the MFA enrolment a role requires. */
export function SignInScreen() {
  const { authorization, tokens } = useConsole();
  const [step, setStep] = useState<Step>({ kind: 'credentials', needsCode: false });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setFailure(null);
    try {
      await action();
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  const submitCredentials = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(signInSchema, { username, password });
    const codeCheck =
      step.kind === 'credentials' && step.needsCode ? validate(secondFactorSchema, code) : null;
    const found = {
      ...(checked.ok ? {} : checked.errors),
      ...(codeCheck && !codeCheck.ok ? { code: codeCheck.errors.form } : {}),
    };
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    void run(async () => {
      try {
        const result = await authorization.login({
          username: username.trim(),
          password,
          ...(codeCheck?.ok ? { totp: codeCheck.value } : {}),
        });
        if ('mfaEnrollmentRequired' in result) {
          const enrolment = await authorization.enroll(result.enrollmentToken);
          setCode('');
          setStep({ kind: 'enrol', enrollmentToken: result.enrollmentToken, ...enrolment });
          return;
        }
        tokens.set(result);
      } catch (error) {
        if (error instanceof ApiError && error.code === 'MFA_REQUIRED') {
          setStep({ kind: 'credentials', needsCode: true });
          setFailure(null);
          return;
        }
        throw error;
      }
    });
  };

  const submitEnrolment = (event: FormEvent) => {
    event.preventDefault();
    if (step.kind !== 'enrol') return;
    const checked = validate(totpCodeSchema, code);
    setErrors(checked.ok ? {} : { code: checked.errors.form });
    if (!checked.ok) return;
    void run(async () => {
      const activated = await authorization.activate(checked.value, step.enrollmentToken);
      if (!activated.accessToken || !activated.refreshToken)
        throw new Error('the service did not start a session; sign in again');
      setStep({
        kind: 'recovery',
        tokens: { accessToken: activated.accessToken, refreshToken: activated.refreshToken },
        recoveryCodes: activated.recoveryCodes,
      });
    });
  };

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={460} component="main">
        <Stack>
          <Title order={1} size="h2">
            Warden
          </Title>
          {failure && (
            <Alert color="red" title="Sign-in failed" role="alert">
              {failure}
            </Alert>
          )}
          {step.kind === 'credentials' && (
            <form onSubmit={submitCredentials} noValidate aria-label="Sign in">
              <Stack>
                <TextInput
                  label="User name"
                  autoComplete="username"
                  value={username}
                  onChange={(e) => setUsername(e.currentTarget.value)}
                  error={errors.username}
                  required
                  autoFocus
                />
                <PasswordInput
                  label="Password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  error={errors.password}
                  required
                />
                {step.needsCode && (
                  <>
                    <Text size="sm">Your account uses two-factor authentication.</Text>
                    <TextInput
                      label="Authentication code or recovery code"
                      description="The 6-digit code of your authenticator app; without the app, one of your recovery codes (each works once)."
                      autoComplete="one-time-code"
                      value={code}
                      onChange={(e) => setCode(e.currentTarget.value)}
                      error={errors.code}
                      autoFocus
                    />
                  </>
                )}
                <Button type="submit" loading={busy}>
                  Sign in
                </Button>
              </Stack>
            </form>
          )}
          {step.kind === 'enrol' && (
            <form onSubmit={submitEnrolment} noValidate aria-label="Set up two-factor authentication">
              <Stack>
                <Title order={2} size="h4">
                  Set up two-factor authentication
                </Title>
                <Text size="sm">
                  Your role requires a second factor. Add this key to an authenticator app (type it in, or
                  open the link on a phone), then enter the code it shows.
                </Text>
                <Text size="sm" fw={600}>
                  Key
                </Text>
                <Group gap="xs" wrap="nowrap">
                  <Code data-testid="mfa-secret" style={{ wordBreak: 'break-all' }}>
                    {step.secret}
                  </Code>
                  <CopyButton value={step.secret}>
                    {({ copied, copy }) => (
                      <Button size="xs" variant="default" onClick={copy}>
                        {copied ? 'Copied' : 'Copy key'}
                      </Button>
                    )}
                  </CopyButton>
                </Group>
                <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                  <a href={step.otpauthUri}>Open in an authenticator app</a>
                </Text>
                <TextInput
                  label="Code from the app"
                  autoComplete="one-time-code"
                  inputMode="numeric"
                  value={code}
                  onChange={(e) => setCode(e.currentTarget.value)}
                  error={errors.code}
                  autoFocus
                />
                <Button type="submit" loading={busy}>
                  Turn on two-factor authentication
                </Button>
              </Stack>
            </form>
          )}
          {step.kind === 'recovery' && (
            <Stack>
              <Title order={2} size="h4">
                Save your recovery codes
              </Title>
              <Text size="sm">
                Each code signs you in once if you lose your authenticator. They are shown only now: store
                them somewhere safe.
              </Text>
              <List data-testid="recovery-codes" spacing={2} ff="monospace">
                {step.recoveryCodes.map((recoveryCode) => (
                  <List.Item key={recoveryCode}>{recoveryCode}</List.Item>
                ))}
              </List>
              <CopyButton value={step.recoveryCodes.join('\n')}>
                {({ copied, copy }) => (
                  <Button variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy all codes'}
                  </Button>
                )}
              </CopyButton>
              <Button onClick={() => tokens.set(step.tokens)}>I have saved them — continue</Button>
            </Stack>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
