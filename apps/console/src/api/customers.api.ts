import type { ApiClient } from './api-client';
import type { Page } from './authorization.api';

/** A customer as the caller may see it: a field the caller may not see is absent. */
export type Customer = {
  id: string;
  name?: string;
  company?: string | null;
  tags?: string[];
  classification?: string;
  ownerId?: string | null;
  teamId?: string | null;
  mobile?: string | null;
  email?: string | null;
  nationalId?: string | null;
  address?: string | null;
  status?: string;
  version?: number;
  createdAt?: string;
  updatedAt?: string;
};

export const SEARCH_FIELDS = ['mobile', 'email', 'nationalId'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];
export const SENSITIVE_FIELDS = ['mobile', 'email', 'nationalId', 'address'] as const;
export type SensitiveField = (typeof SENSITIVE_FIELDS)[number];

/** The customer-records service's API as the console uses it. */
export const customersApi = (api: ApiClient) => ({
  search: (field: SearchField, value: string, cursor?: string, limit = 20) =>
    api.request<Page<Customer>>('customer-records', '/v1/customers', {
      query: { [field]: value, cursor, limit },
    }),
  get: (id: string) => api.request<Customer>('customer-records', `/v1/customers/${encodeURIComponent(id)}`),
  /** Asks for one field in clear, with the reason recorded in the audit trail. */
  reveal: (id: string, field: SensitiveField, reason: string) =>
    api.request<Customer>('customer-records', `/v1/customers/${encodeURIComponent(id)}`, {
      query: { reveal: field, reason },
    }),
});
export type CustomersApi = ReturnType<typeof customersApi>;
