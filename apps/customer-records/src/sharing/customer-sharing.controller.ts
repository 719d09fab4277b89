import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { callerPolicy } from '../customer/customer-lifecycle.util';
import { customerIdParam } from '../customer/customer.dto';
import {
  shareCustomerBody,
  shareUserIdParam,
  unshareCustomerBody,
  type CustomerShares,
  type ShareCustomerBody,
  type UnshareCustomerBody,
} from './customer-sharing.dto';
import { CustomerSharingService } from './customer-sharing.service';

@ApiTags('customers')
@Controller('v1/customers/:id/shares')
export class CustomerSharingController {
  constructor(
    private readonly sharing: CustomerSharingService,
    private readonly policies: PolicyClient,
  ) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The users a customer is shared with; needs update on the customer' })
  async list(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerShares> {
    return this.sharing.list(id, await callerPolicy(this.policies, req, principal));
  }

  @Post()
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Share a customer with a user (a partner sees it masked); needs update on the customer; sharing again changes nothing',
  })
  @ApiBody({ schema: z.toJSONSchema(shareCustomerBody, { io: 'input' }) as object })
  async share(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(shareCustomerBody)) body: ShareCustomerBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerShares> {
    const policy = await callerPolicy(this.policies, req, principal);
    return this.sharing.share(id, body, commandMetadata(req, principal), policy);
  }

  @Delete(':userId')
  @Authenticated()
  @ApiOperation({ summary: 'End a share; 404 SHARE_NOT_FOUND when the customer is not shared with that user' })
  @ApiBody({ required: false, schema: z.toJSONSchema(z.strictObject({ reason: z.string().max(500).optional() })) as object })
  async unshare(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Param('userId', new ZodValidationPipe(shareUserIdParam)) userId: string,
    @Body(new ZodValidationPipe(unshareCustomerBody)) body: UnshareCustomerBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerShares> {
    const policy = await callerPolicy(this.policies, req, principal);
    return this.sharing.unshare(id, userId, body, commandMetadata(req, principal), policy);
  }
}
