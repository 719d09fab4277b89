import { MantineProvider, createTheme } from '@mantine/core';
import { Notifications, notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ApiError } from './api/api-error';
import { ALERT_READER_ROLES, APPROVER_ROLES, AUDIT_ROLES, OFFBOARDING_ROLES, hasRole } from './auth/jwt.util';
import { AlertFeedProvider } from './components/alert-feed';
import { Layout } from './components/layout';
import { ScreenBoundary } from './components/screen-boundary';
import { Loading } from './components/states';
import { ConsoleProvider, useClaims, useConsole } from './console-context';
import { HomeScreen } from './screens/home.screen';
import {
  AlertDetailScreen,
  AlertsScreen,
  AuditCustomerScreen,
  AuditReportsScreen,
  AuditSearchScreen,
  AuditVerificationScreen,
  CustomerDetailScreen,
  CustomersScreen,
  ExportApprovalsScreen,
  ExportsScreen,
  GrantsScreen,
  OffboardingCaseScreen,
  OffboardingScreen,
  RolesScreen,
  RulesScreen,
  SecurityInsightsScreen,
  SessionsScreen,
  TeamsScreen,
  UsersScreen,
  preloadScreens,
} from './screens/lazy-screens';
import { NotFoundScreen } from './screens/not-found.screen';
import { SignInScreen } from './screens/sign-in.screen';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md' });

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors (403, 404, validation) do not get better by retrying.
      retry: (count, error) =>
        count < 2 && (!(error instanceof ApiError) || error.status >= 500 || error.status === 0),
      refetchOnWindowFocus: false,
      staleTime: 10_000,
    },
  },
});

/** After a reload the access token is gone; a refresh token in sessionStorage gets a new one. */
function SessionGate() {
  const { api, tokens } = useConsole();
  const claims = useClaims();
  const location = useLocation();
  const [restoring, setRestoring] = useState(() => !tokens.signedIn && tokens.refresh !== null);
  useEffect(() => {
    if (!restoring) return;
    void api.refreshOnce().then((ok) => {
      if (!ok) tokens.clear();
      setRestoring(false);
    });
  }, [api, tokens, restoring]);
  const signedIn = claims !== null;
  useEffect(() => {
    if (!signedIn) return;
    const timer = window.setTimeout(preloadScreens, 1500);
    return () => window.clearTimeout(timer);
  }, [signedIn]);
  if (restoring) return <Loading label="Restoring your session" />;
  if (!claims) return <SignInScreen />;
  const admin = hasRole(claims, 'admin');
  const auditReader = hasRole(claims, ...AUDIT_ROLES);
  const approver = hasRole(claims, ...APPROVER_ROLES);
  const alertReader = hasRole(claims, ...ALERT_READER_ROLES);
  const offboarder = hasRole(claims, ...OFFBOARDING_ROLES);
  return (
    <AlertFeedProvider>
      <Layout>
        <ScreenBoundary key={location.pathname}>
          <Routes>
            <Route path="/" element={<HomeScreen />} />
            <Route path="/sign-in" element={<Navigate to="/" replace />} />
            <Route path="/sessions" element={<SessionsScreen />} />
            <Route path="/customers" element={<CustomersScreen />} />
            <Route path="/customers/:id" element={<CustomerDetailScreen />} />
            <Route path="/grants" element={<GrantsScreen />} />
            <Route path="/exports" element={<ExportsScreen />} />
            {approver && <Route path="/approvals" element={<ExportApprovalsScreen />} />}
            {approver && <Route path="/exports/approvals" element={<Navigate to="/approvals" replace />} />}
            {auditReader && <Route path="/audit" element={<AuditSearchScreen />} />}
            {auditReader && <Route path="/audit/customers" element={<AuditCustomerScreen />} />}
            {auditReader && <Route path="/audit/customers/:id" element={<AuditCustomerScreen />} />}
            {auditReader && <Route path="/audit/reports" element={<AuditReportsScreen />} />}
            {auditReader && <Route path="/audit/verification" element={<AuditVerificationScreen />} />}
            {alertReader && <Route path="/security/alerts" element={<AlertsScreen />} />}
            {alertReader && <Route path="/security/alerts/:id" element={<AlertDetailScreen />} />}
            {alertReader && <Route path="/security/rules" element={<RulesScreen />} />}
            {alertReader && <Route path="/security/insights" element={<SecurityInsightsScreen />} />}
            {offboarder && <Route path="/offboarding" element={<OffboardingScreen />} />}
            {offboarder && <Route path="/offboarding/:id" element={<OffboardingCaseScreen />} />}
            {admin && <Route path="/admin/users" element={<UsersScreen />} />}
            {admin && <Route path="/admin/teams" element={<TeamsScreen />} />}
            {admin && <Route path="/admin/roles" element={<RolesScreen />} />}
            <Route path="*" element={<NotFoundScreen />} />
          </Routes>
        </ScreenBoundary>
      </Layout>
    </AlertFeedProvider>
  );
}

export function App() {
  const onSignedOut = useCallback((reason: string) => {
    queryClient.clear();
    notifications.show({ color: 'yellow', title: 'Signed out', message: reason });
  }, []);
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <ConsoleProvider onSignedOut={onSignedOut}>
          <BrowserRouter>
            <SessionGate />
          </BrowserRouter>
        </ConsoleProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
