import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import { z } from 'zod';
import { createWebhookBody, webhookIdParam, type CreateWebhookBody, type DeliveryView, type WebhookView } from './webhook.dto';
import { WebhookService } from './webhook.service';

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhookController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post()
  @Roles('security_officer', 'admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Subscribe a URL to alert events at or above minSeverity; deliveries are signed with the secret (HMAC-SHA256 over "timestamp.body")' })
  @ApiBody({ schema: z.toJSONSchema(createWebhookBody, { io: 'input' }) as object })
  create(@Body(new ZodValidationPipe(createWebhookBody)) body: CreateWebhookBody, @CurrentPrincipal() principal: Principal): Promise<WebhookView> {
    return this.webhooks.create(body, principal.userId);
  }

  @Get()
  @Roles('security_officer', 'admin', 'auditor')
  @ApiOperation({ summary: 'Active webhooks (never their secrets)' })
  list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  @Delete(':id')
  @Roles('security_officer', 'admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook; its pending deliveries are cancelled' })
  async remove(@Param('id', new ZodValidationPipe(webhookIdParam)) id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Get(':id/deliveries')
  @Roles('security_officer', 'admin', 'auditor')
  @ApiOperation({ summary: 'The delivery log of a webhook, newest first' })
  deliveries(@Param('id', new ZodValidationPipe(webhookIdParam)) id: string): Promise<DeliveryView[]> {
    return this.webhooks.deliveries(id);
  }
}
