import { Module } from '@nestjs/common';
import { BlindIndexer, FieldCipher, StaticKeyProvider } from '@warden/crypto';
import { CONFIG } from '@warden/platform';
import { DataSource } from 'typeorm';
import type { CustomerRecordsConfig } from '../core/config';
import { PostgresDataKeyStore } from './postgres-data-key-store';

/** Envelope encryption of the customers' sensitive fields and their blind indexes. */
@Module({
  providers: [
    {
      provide: PostgresDataKeyStore,
      inject: [DataSource, CONFIG],
      useFactory: (dataSource: DataSource, config: CustomerRecordsConfig) =>
        new PostgresDataKeyStore(dataSource, config.CUSTOMER_RECORDS_DB_SCHEMA),
    },
    {
      provide: FieldCipher,
      inject: [CONFIG, PostgresDataKeyStore],
      useFactory: (config: CustomerRecordsConfig, store: PostgresDataKeyStore) =>
        new FieldCipher(StaticKeyProvider.fromKeyring(config.WARDEN_KEKS), store),
    },
    {
      provide: BlindIndexer,
      inject: [CONFIG],
      useFactory: (config: CustomerRecordsConfig) =>
        BlindIndexer.fromBase64(config.CUSTOMER_RECORDS_BLIND_INDEX_KEY),
    },
  ],
  exports: [FieldCipher, BlindIndexer],
})
export class CustomerCryptoModule {}
