import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { callerPolicy } from '../customer/customer-lifecycle.util';
import { customerIdParam } from '../customer/customer.dto';
import { recordConsentBody, type ConsentsView, type RecordConsentBody } from './customer-consents.dto';
import { CustomerConsentsService } from './customer-consents.service';

@ApiTags('customers')
@Controller('v1/customers/:id/consents')
export class CustomerConsentsController {
  constructor(
    private readonly consents: CustomerConsentsService,
    private readonly policies: PolicyClient,
  ) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Record a consent given or withdrawn (409 CONSENT_NOT_GRANTED when withdrawing one not given); answers the consents',
  })
  @ApiBody({ schema: z.toJSONSchema(recordConsentBody, { io: 'input' }) as object })
  async record(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(recordConsentBody)) body: RecordConsentBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ConsentsView> {
    const policy = await callerPolicy(this.policies, req, principal);
    return this.consents.record(id, body, commandMetadata(req, principal), policy);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "A customer's consents: current state per purpose and the full history (who, when)" })
  async get(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ConsentsView> {
    return this.consents.get(id, await callerPolicy(this.policies, req, principal));
  }
}
