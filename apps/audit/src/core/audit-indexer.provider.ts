import type { Provider } from '@nestjs/common';
import type { EventStore } from '@warden/event-store';
import { CONFIG } from '@warden/platform';
import { TrailIndexer } from '../indexing/trail-indexer';
import type { AuditConfig } from './config';
import { OUTBOX_STORE } from './tokens';

export const trailIndexerProvider: Provider = {
  provide: TrailIndexer,
  inject: [CONFIG, OUTBOX_STORE],
  useFactory: (config: AuditConfig, outbox: EventStore) => new TrailIndexer({ schema: config.AUDIT_DB_SCHEMA, outbox }),
};
