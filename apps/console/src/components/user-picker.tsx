import { Button, Group, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { ApiError, describeError } from '../api/api-error';
import type { User } from '../api/authorization.api';
import { useConsole } from '../console-context';
import { isUuid } from '../lib/offboarding.util';

export type PickedUser = { id: string; label: string };

/**
 * Finds a person by exact user name (`GET /v1/users?username=`), or takes a user id as typed. The
 * directory is open to admins, HR and security officers; for any other role a name search is refused,
 * and the picker says to enter the person's user id instead.
 */
export function UserPicker({
  label,
  description,
  value,
  onChange,
  error,
  idKind = 'user',
}: {
  label: string;
  description?: string;
  value: PickedUser | null;
  onChange: (user: PickedUser | null) => void;
  error?: string;
  /** `team`: only an id is taken (a successor pool). */
  idKind?: 'user' | 'team';
}) {
  const { authorization } = useConsole();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);

  const find = async () => {
    const typed = text.trim();
    setProblem(null);
    if (!typed) {
      setProblem(idKind === 'team' ? 'Enter the team id' : 'Enter a user name or a user id');
      return;
    }
    if (isUuid(typed)) {
      onChange({
        id: typed.toLowerCase(),
        label: `${idKind === 'team' ? 'team' : 'user'} ${typed.toLowerCase()}`,
      });
      return;
    }
    if (idKind === 'team') {
      setProblem('Enter the team id (a UUID)');
      return;
    }
    setSearching(true);
    try {
      const page = await authorization.users({ username: typed, limit: 1 });
      const user: User | undefined = page.items[0];
      if (!user) setProblem(`No user is named “${typed}” (the search is exact)`);
      else onChange({ id: user.id, label: `${user.displayName} (${user.username}, ${user.status})` });
    } catch (e) {
      setProblem(
        e instanceof ApiError && e.status === 403
          ? 'Your role may not search the directory by name: enter the person’s user id instead'
          : describeError(e),
      );
    } finally {
      setSearching(false);
    }
  };

  if (value) {
    return (
      <div>
        <Text size="sm" fw={500}>
          {label}
        </Text>
        <Group gap="xs">
          <Text size="sm" data-testid={`picked-${label}`}>
            {value.label}
          </Text>
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => onChange(null)}
            aria-label={`Change ${label}`}
          >
            Change
          </Button>
        </Group>
        {error && (
          <Text size="xs" c="red" role="alert">
            {error}
          </Text>
        )}
      </div>
    );
  }
  return (
    <Group align="flex-end" gap="xs" wrap="nowrap">
      <TextInput
        label={label}
        description={description}
        placeholder={idKind === 'team' ? 'team id' : 'user name or user id'}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            void find();
          }
        }}
        error={problem ?? error}
        style={{ flex: 1 }}
      />
      <Button variant="default" loading={searching} onClick={() => void find()} aria-label={`Find ${label}`}>
        Find
      </Button>
    </Group>
  );
}
