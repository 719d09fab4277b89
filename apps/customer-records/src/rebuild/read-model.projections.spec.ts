import { randomBytes } from 'node:crypto';
import type { DynamicModule, FactoryProvider } from '@nestjs/common';
import { EventStore, type InlineProjection } from '@warden/event-store';
import type { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { loadCustomerRecordsConfig } from '../core/config';
import { readModelProjections } from './read-model.projections';

/** The projections the service's event store applies, as `AppModule` wires them. */
function serviceProjections(schema: string): readonly InlineProjection[] {
  const key = () => randomBytes(32).toString('base64');
  const config = loadCustomerRecordsConfig({
    WARDEN_KEKS: `1:${key()}`,
    CUSTOMER_RECORDS_BLIND_INDEX_KEY: key(),
    CUSTOMER_RECORDS_DB_SCHEMA: schema,
  });
  const platform = (AppModule.forConfig(config).imports ?? []).find(
    (module): module is DynamicModule => (module as DynamicModule).providers !== undefined,
  );
  const provider = platform?.providers?.find((p) => (p as FactoryProvider).provide === EventStore) as FactoryProvider | undefined;
  if (!provider) throw new Error('AppModule no longer provides the EventStore through PlatformModule');
  const store = provider.useFactory({} as DataSource) as EventStore;
  return (store as unknown as { projections: readonly InlineProjection[] }).projections;
}

describe('readModelProjections', () => {
  it('lists the projections the service applies, in the same order and for the same events', () => {
    const live = serviceProjections('customer_records');
    const rebuilt = readModelProjections('customer_records').map((p) => p.projection);
    expect(rebuilt.map((p) => [p.name, [...p.handles]])).toEqual(live.map((p) => [p.name, [...p.handles]]));
  });

  it('gives every projection at least one table of its own', () => {
    const tables = readModelProjections('customer_records').flatMap((p) => p.tables);
    expect(tables.length).toBeGreaterThanOrEqual(readModelProjections('customer_records').length);
    expect(new Set(tables).size).toBe(tables.length);
  });
});
