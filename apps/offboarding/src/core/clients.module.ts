import { Module } from '@nestjs/common';
import { CONFIG, KAFKA } from '@warden/platform';
import type { Kafka } from 'kafkajs';
import { CONSUMER_KAFKA, consumerKafka } from '../saga/answers-lag.service';
import { CommandPublisher } from '../saga/command.publisher';
import type { OffboardingConfig } from './config';
import { DirectoryClient } from './directory.client';
import { ServiceTokenClient } from '@warden/security';

/** The other services as the offboarding service reaches them: HTTP through breakers, commands on Kafka. */
@Module({
  providers: [
    {
      provide: ServiceTokenClient,
      inject: [CONFIG],
      useFactory: (config: OffboardingConfig) =>
        new ServiceTokenClient({
          authorizationUrl: config.AUTHORIZATION_URL,
          clientId: config.SERVICE_CLIENT_ID,
          clientSecret: config.SERVICE_CLIENT_SECRET,
        }),
    },
    {
      provide: DirectoryClient,
      inject: [CONFIG, ServiceTokenClient],
      useFactory: (config: OffboardingConfig, tokens: ServiceTokenClient) => new DirectoryClient(config.AUTHORIZATION_URL, tokens),
    },
    { provide: CONSUMER_KAFKA, inject: [CONFIG], useFactory: consumerKafka },
    {
      provide: CommandPublisher,
      inject: [CONFIG, KAFKA],
      useFactory: (config: OffboardingConfig, kafka: Kafka) => new CommandPublisher(kafka, config.KAFKA_TOPIC_PREFIX),
    },
  ],
  exports: [ServiceTokenClient, DirectoryClient, CommandPublisher, CONSUMER_KAFKA],
})
export class ClientsModule {}
