import type { InlineProjection } from '@warden/event-store';
import { customerConsentsProjection } from '../consents/customer-consents.projection';
import { customerReadModelProjection } from '../customer/projections/customer-read-model.projection';
import { customerNotesProjection } from '../notes/customer-notes.projection';
import { customerTransactionsProjection } from '../transactions/customer-transactions.projection';
import { customerTransfersProjection } from '../transfer/transfer.projection';

/** An inline projection of the service and the read tables it writes (and nothing else writes). */
export type ReadModelProjection = { projection: InlineProjection; tables: readonly string[] };

/**
 * Every inline projection of customer-records, in the order the event store applies them, with
 * the tables each one owns: what `npm run customers:rebuild` rebuilds from the event store. The
 * service registers the same projections (a unit test holds the two lists together).
 */
export function readModelProjections(schema: string): ReadModelProjection[] {
  return [
    { projection: customerReadModelProjection(schema), tables: ['customers'] },
    { projection: customerNotesProjection(schema), tables: ['customer_notes'] },
    { projection: customerTransactionsProjection(schema), tables: ['customer_transactions'] },
    { projection: customerConsentsProjection(schema), tables: ['customer_consent_changes'] },
    { projection: customerTransfersProjection(schema), tables: ['customer_transfers'] },
  ];
}
