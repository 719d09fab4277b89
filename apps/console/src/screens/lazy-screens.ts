import { lazy, type ComponentType } from 'react';

/**
 * A screen loaded on first use: its own chunk (and the chart library only with the screens that
 * draw charts), so the first load carries the frame, the sign-in and the overview only.
 */
const loaders: Array<() => Promise<unknown>> = [];
const lazyScreen = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) => {
  loaders.push(load);
  return lazy(async () => ({ default: (await load())[name] }));
};

/**
 * Fetches every screen's code in the background once the first screen is shown, so a later
 * navigation rarely waits for the network. A failure is ignored here: opening that screen reports it.
 */
export function preloadScreens(): void {
  for (const load of loaders) void load().catch(() => undefined);
}

export const AlertDetailScreen = lazyScreen(() => import('./alert-detail.screen'), 'AlertDetailScreen');
export const AlertsScreen = lazyScreen(() => import('./alerts.screen'), 'AlertsScreen');
export const AuditCustomerScreen = lazyScreen(() => import('./audit-customer.screen'), 'AuditCustomerScreen');
export const AuditReportsScreen = lazyScreen(() => import('./audit-reports.screen'), 'AuditReportsScreen');
export const AuditSearchScreen = lazyScreen(() => import('./audit-search.screen'), 'AuditSearchScreen');
export const AuditVerificationScreen = lazyScreen(
  () => import('./audit-verification.screen'),
  'AuditVerificationScreen',
);
export const CustomerDetailScreen = lazyScreen(
  () => import('./customer-detail.screen'),
  'CustomerDetailScreen',
);
export const CustomersScreen = lazyScreen(() => import('./customers.screen'), 'CustomersScreen');
export const ExportApprovalsScreen = lazyScreen(
  () => import('./export-approvals.screen'),
  'ExportApprovalsScreen',
);
export const ExportsScreen = lazyScreen(() => import('./exports.screen'), 'ExportsScreen');
export const GrantsScreen = lazyScreen(() => import('./grants.screen'), 'GrantsScreen');
export const OffboardingCaseScreen = lazyScreen(
  () => import('./offboarding-case.screen'),
  'OffboardingCaseScreen',
);
export const OffboardingScreen = lazyScreen(() => import('./offboarding.screen'), 'OffboardingScreen');
export const RolesScreen = lazyScreen(() => import('./roles.screen'), 'RolesScreen');
export const RulesScreen = lazyScreen(() => import('./rules.screen'), 'RulesScreen');
export const SecurityInsightsScreen = lazyScreen(
  () => import('./security-insights.screen'),
  'SecurityInsightsScreen',
);
export const SessionsScreen = lazyScreen(() => import('./sessions.screen'), 'SessionsScreen');
export const TeamsScreen = lazyScreen(() => import('./teams.screen'), 'TeamsScreen');
export const UsersScreen = lazyScreen(() => import('./users.screen'), 'UsersScreen');
