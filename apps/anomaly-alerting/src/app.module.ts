import { type DynamicModule, Module } from '@nestjs/common';
import { eventRegistry, Topics } from '@warden/contracts';
import { PlatformModule } from '@warden/platform';
import { AlertsModule } from './alerts/alerts.module';
import { alertReadModelProjection } from './alerts/projections/alert-read-model.projection';
import { anomalyAlertingMigrations } from './core/anomaly-alerting.migrations';
import type { AnomalyAlertingConfig } from './core/config';

@Module({})
export class AppModule {
  static forConfig(config: AnomalyAlertingConfig): DynamicModule {
    const schema = config.ANOMALY_ALERTING_DB_SCHEMA;
    return {
      module: AppModule,
      imports: [
        PlatformModule.forService({
          service: 'anomaly-alerting',
          schema,
          config,
          registry: eventRegistry,
          migrations: anomalyAlertingMigrations(schema),
          projections: [alertReadModelProjection(schema)],
          // Alert events are published once, to the topic their consumers read; the rule streams
          // (`AlertRuleChanged`) stay on the service's events topic.
          relayRouting: { topics: [Topics.alerts], topicFor: (row) => (row.streamId.startsWith('alert-') ? Topics.alerts : null) },
        }),
        AlertsModule,
      ],
    };
  }
}
