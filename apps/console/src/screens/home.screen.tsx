import { Anchor, Card, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import {
  ALERT_READER_ROLES,
  APPROVER_ROLES,
  AUDIT_ROLES,
  EXPORTER_ROLES,
  OFFBOARDING_ROLES,
  hasRole,
} from '../auth/jwt.util';
import { useClaims } from '../console-context';

/** Where to go from here, by role. */
export function HomeScreen() {
  const claims = useClaims();
  const cards = [
    {
      to: '/security/alerts',
      title: 'Alerts',
      text: 'The live alert feed: evidence, the person’s recent activity, acknowledge and resolve.',
      show: hasRole(claims, ...ALERT_READER_ROLES),
    },
    {
      to: '/security/insights',
      title: 'Security insights',
      text: 'Departing users, sign-in locations, exported rows per day and failed sign-ins per hour.',
      show: hasRole(claims, ...ALERT_READER_ROLES),
    },
    {
      to: '/offboarding',
      title: 'Offboarding',
      text: 'Start an offboarding, follow its steps, open the leaver report.',
      show: hasRole(claims, ...OFFBOARDING_ROLES),
    },
    {
      to: '/customers',
      title: 'Customers',
      text: 'Find a customer by exact mobile, e-mail or national ID; sensitive fields are masked unless your role shows them.',
      show: hasRole(claims, 'staff', 'supervisor', 'auditor', 'security_officer', 'partner'),
    },
    {
      to: '/exports',
      title: 'Exports',
      text: 'Request a file of your customers, follow it, and download it once.',
      show: hasRole(claims, ...EXPORTER_ROLES),
    },
    {
      to: '/approvals',
      title: 'Approvals',
      text: 'Approve or reject the exports and grant requests of your teams that need a person’s decision.',
      show: hasRole(claims, ...APPROVER_ROLES),
    },
    {
      to: '/audit',
      title: 'Audit search',
      text: 'Who did what, when and from where: search the tamper-evident trail and export it.',
      show: hasRole(claims, ...AUDIT_ROLES),
    },
    {
      to: '/audit/reports',
      title: 'Audit reports',
      text: 'Monthly and quarterly reports, and the verification of the trail.',
      show: hasRole(claims, ...AUDIT_ROLES),
    },
    {
      to: '/grants',
      title: 'Grants',
      text: 'Ask for temporary extra access, or approve the requests of your teams.',
      show: true,
    },
    {
      to: '/sessions',
      title: 'Sessions',
      text: 'Where you are signed in; sign out everywhere at once.',
      show: true,
    },
    {
      to: '/admin/users',
      title: 'Users',
      text: 'Create users, change their roles, team and status.',
      show: hasRole(claims, 'admin'),
    },
    {
      to: '/admin/roles',
      title: 'Field permissions',
      text: 'Which role sees which sensitive field: in clear, masked or not at all.',
      show: hasRole(claims, 'admin'),
    },
  ].filter((card) => card.show);
  return (
    <Stack>
      <Title order={2}>Welcome, {claims?.username}</Title>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {cards.map((card) => (
          <Card key={card.to} withBorder padding="lg">
            <Anchor component={Link} to={card.to} fw={600}>
              {card.title}
            </Anchor>
            <Text size="sm" c="dimmed" mt={4}>
              {card.text}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
