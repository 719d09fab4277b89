import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';

export function NotFoundScreen() {
  return (
    <Stack>
      <Title order={2}>Page not found</Title>
      <Text>
        There is no such page, or your roles do not include it.{' '}
        <Anchor component={Link} to="/">
          Back to the overview
        </Anchor>
      </Text>
    </Stack>
  );
}
