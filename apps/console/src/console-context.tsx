import { createContext, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { alertsApi, type AlertsApi } from './api/alerts.api';
import { ApiClient } from './api/api-client';
import { auditApi, type AuditApi } from './api/audit.api';
import { authorizationApi, type AuthorizationApi } from './api/authorization.api';
import { customersApi, type CustomersApi } from './api/customers.api';
import { exportsApi, type ExportsApi } from './api/exports.api';
import { offboardingApi, type OffboardingApi } from './api/offboarding.api';
import type { TokenClaims } from './auth/jwt.util';
import { TokenStore } from './auth/token-store';

export type ConsoleServices = {
  tokens: TokenStore;
  api: ApiClient;
  authorization: AuthorizationApi;
  customers: CustomersApi;
  exports: ExportsApi;
  audit: AuditApi;
  alerts: AlertsApi;
  offboarding: OffboardingApi;
};

const ConsoleContext = createContext<ConsoleServices | null>(null);

/** The API client and token store of this tab, and the typed APIs built on them. */
export function ConsoleProvider({
  onSignedOut,
  children,
}: {
  onSignedOut: (reason: string) => void;
  children: ReactNode;
}) {
  const services = useMemo(() => {
    const tokens = new TokenStore(window.sessionStorage);
    const api = new ApiClient(tokens, (input, init) => window.fetch(input, init), onSignedOut);
    return {
      tokens,
      api,
      authorization: authorizationApi(api),
      customers: customersApi(api),
      exports: exportsApi(api),
      audit: auditApi(api),
      alerts: alertsApi(api),
      offboarding: offboardingApi(api),
    };
  }, [onSignedOut]);
  return <ConsoleContext.Provider value={services}>{children}</ConsoleContext.Provider>;
}

export function useConsole(): ConsoleServices {
  const services = useContext(ConsoleContext);
  if (!services) throw new Error('useConsole outside ConsoleProvider');
  return services;
}

/** Who is signed in, in which session (the same across token refreshes); null when nobody is. */
export const sessionKey = (claims: TokenClaims | null): string | null =>
  claims ? `${claims.userId}:${claims.sessionId}` : null;

/** The signed-in person's claims, re-rendering on sign-in, refresh and sign-out. */
export function useClaims(): TokenClaims | null {
  const { tokens } = useConsole();
  return useSyncExternalStore(
    (listener) => tokens.subscribe(listener),
    () => tokens.claims,
  );
}
