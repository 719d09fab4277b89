import { Module } from '@nestjs/common';
import { DetectionConsumer } from '../consumer/detection.consumer';
import { GeoLocator } from '../consumer/geo-locator';
import { AlertStreamService } from '../delivery/alert-stream.service';
import { OcsfPublisher } from '../delivery/ocsf/ocsf.publisher';
import { WebhookDeliveryRetention } from '../delivery/webhooks/webhook-delivery-retention';
import { WebhookController } from '../delivery/webhooks/webhook.controller';
import { WebhookDispatcher } from '../delivery/webhooks/webhook.dispatcher';
import { WebhookService } from '../delivery/webhooks/webhook.service';
import { ResponseWorker } from '../response/response.worker';
import { RuleController } from '../rules/rule.controller';
import { RuleService } from '../rules/rule.service';
import { RuleSettingsService } from '../rules/rule-settings.service';
import { AlertQueryService } from './alert-query.service';
import { AlertController } from './alert.controller';
import { AlertService } from './alert.service';
import { EvidenceRetention } from './evidence-retention';

/** Detection, alerts, rules and their delivery: one feature, wired here. */
@Module({
  controllers: [AlertController, RuleController, WebhookController],
  providers: [
    GeoLocator,
    RuleSettingsService,
    RuleService,
    AlertService,
    AlertQueryService,
    AlertStreamService,
    OcsfPublisher,
    WebhookService,
    WebhookDispatcher,
    ResponseWorker,
    DetectionConsumer,
    EvidenceRetention,
    WebhookDeliveryRetention,
  ],
})
export class AlertsModule {}
