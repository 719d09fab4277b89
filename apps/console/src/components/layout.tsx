import { AppShell, Badge, Burger, Button, Group, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type MouseEvent, type ReactNode, type RefObject } from 'react';
import { Link, useLocation } from 'react-router-dom';
import {
  ALERT_READER_ROLES,
  APPROVER_ROLES,
  AUDIT_ROLES,
  EXPORTER_ROLES,
  OFFBOARDING_ROLES,
  hasRole,
} from '../auth/jwt.util';
import { useClaims, useConsole } from '../console-context';
import { notifyError } from './notify';

type NavItem = { to: string; label: string; show: boolean };

/**
 * The first stop of the Tab key on every screen: straight to the screen's content, past the header
 * and the navigation. Out of sight until it has the focus.
 */
function SkipToContent({ target }: { target: RefObject<HTMLElement | null> }) {
  const [focused, setFocused] = useState(false);
  return (
    <Button
      component="a"
      href="#main-content"
      size="xs"
      onFocus={() => setFocused(true)}
      onBlur={() => setFocused(false)}
      onClick={(event: MouseEvent) => {
        event.preventDefault();
        target.current?.focus();
      }}
      style={
        focused
          ? { position: 'fixed', top: 8, left: 8, zIndex: 1000 }
          : { position: 'fixed', top: -100, left: 8, zIndex: 1000 }
      }
    >
      Skip to content
    </Button>
  );
}

/** The frame of every signed-in screen: header with the person and sign-out, navigation by role. */
export function Layout({ children }: { children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const claims = useClaims();
  const { authorization, tokens } = useConsole();
  const queryClient = useQueryClient();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const admin = hasRole(claims, 'admin');
  const items: NavItem[] = [
    { to: '/', label: 'Overview', show: true },
    {
      to: '/customers',
      label: 'Customers',
      show: hasRole(claims, 'staff', 'supervisor', 'auditor', 'security_officer', 'partner'),
    },
    { to: '/security/alerts', label: 'Alerts', show: hasRole(claims, ...ALERT_READER_ROLES) },
    { to: '/security/rules', label: 'Detection rules', show: hasRole(claims, ...ALERT_READER_ROLES) },
    { to: '/security/insights', label: 'Security insights', show: hasRole(claims, ...ALERT_READER_ROLES) },
    { to: '/offboarding', label: 'Offboarding', show: hasRole(claims, ...OFFBOARDING_ROLES) },
    { to: '/exports', label: 'Exports', show: hasRole(claims, ...EXPORTER_ROLES) },
    { to: '/approvals', label: 'Approvals', show: hasRole(claims, ...APPROVER_ROLES) },
    { to: '/audit', label: 'Audit search', show: hasRole(claims, ...AUDIT_ROLES) },
    { to: '/audit/customers', label: 'Customer access history', show: hasRole(claims, ...AUDIT_ROLES) },
    { to: '/audit/reports', label: 'Audit reports', show: hasRole(claims, ...AUDIT_ROLES) },
    { to: '/audit/verification', label: 'Trail verification', show: hasRole(claims, ...AUDIT_ROLES) },
    { to: '/grants', label: 'Grants', show: true },
    { to: '/sessions', label: 'Sessions', show: true },
    { to: '/admin/users', label: 'Users', show: admin },
    { to: '/admin/teams', label: 'Teams', show: admin },
    { to: '/admin/roles', label: 'Roles and field permissions', show: admin },
  ];

  // The most specific item the page is under (/audit/reports is not also "Audit search").
  const activeTo = items
    .filter((item) => item.show)
    .map((item) => item.to)
    .filter((to) => location.pathname === to || (to !== '/' && location.pathname.startsWith(`${to}/`)))
    .sort((a, b) => b.length - a.length)[0];

  const signOut = async () => {
    try {
      await authorization.logout();
    } catch (error) {
      notifyError('The server did not confirm the sign-out', error);
    }
    tokens.clear();
    queryClient.clear();
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <SkipToContent target={mainRef} />
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Title order={1} size="h4">
              Warden
            </Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" data-testid="signed-in-user">
              {claims?.username}
            </Text>
            {claims?.roles.map((role) => (
              <Badge key={role} variant="light" visibleFrom="md">
                {role}
              </Badge>
            ))}
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <ScrollArea>
          {items
            .filter((item) => item.show)
            .map((item) => (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={item.label}
                active={item.to === activeTo}
                onClick={close}
              />
            ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main-content" ref={mainRef} tabIndex={-1} style={{ outline: 'none' }}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
