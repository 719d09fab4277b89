import { currencyCodeSchema, decimalAmountSchema } from '@warden/contracts';
import { z } from 'zod';

/** ISO 4217 codes this runtime knows (`Intl.supportedValuesOf('currency')`). */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

/** `POST /v1/customers/:id/transactions`. */
export const recordTransactionBody = z.strictObject({
  amount: decimalAmountSchema,
  currency: currencyCodeSchema.refine((code) => CURRENCIES.has(code), 'is not an ISO 4217 currency code'),
  date: z.iso.date({ message: 'must be a date (YYYY-MM-DD)' }),
  product: z.string().trim().min(1, 'must not be empty').max(200),
});
export type RecordTransactionBody = z.infer<typeof recordTransactionBody>;

/** `GET /v1/customers/:id/transactions?limit=&cursor=`: newest first by date. */
export const listTransactionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.uuid({ message: 'is not a cursor this API returned' }).optional(),
});
export type ListTransactionsQuery = z.infer<typeof listTransactionsQuery>;

export type TransactionView = {
  id: string;
  customerId: string;
  amount: string;
  currency: string;
  date: string;
  product: string;
  recordedBy: string;
  recordedAt: string;
};
export type TransactionPage = { items: TransactionView[]; nextCursor: string | null };
