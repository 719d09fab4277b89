import { Body, Controller, Headers, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  archiveCustomerBody,
  etagOf,
  parseIfMatch,
  updateCustomerBody,
  type ArchiveCustomerBody,
  type UpdateCustomerBody,
} from './customer-lifecycle.dto';
import { callerPolicy } from './customer-lifecycle.util';
import { customerIdParam, type CustomerView } from './customer.dto';
import { CustomerService } from './customer.service';

/** Changes to a customer after registration: update (with `If-Match`) and archive. */
@ApiTags('customers')
@Controller('v1/customers')
export class CustomerLifecycleController {
  constructor(
    private readonly customers: CustomerService,
    private readonly policies: PolicyClient,
  ) {}

  @Patch(':id')
  @Authenticated()
  @ApiOperation({
    summary:
      'Change fields of a customer: If-Match "<version>" required (428 without, 409 STREAM_VERSION_CONFLICT when stale); answers the customer with its new ETag',
  })
  @ApiHeader({ name: 'If-Match', required: true, description: 'The ETag of the customer as read, e.g. "3"' })
  @ApiBody({ schema: z.toJSONSchema(updateCustomerBody, { io: 'input' }) as object })
  async update(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodValidationPipe(updateCustomerBody)) body: UpdateCustomerBody,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    const expectedVersion = parseIfMatch(ifMatch);
    const policy = await callerPolicy(this.policies, req, principal);
    const { view, version } = await this.customers.update(id, expectedVersion, body, commandMetadata(req, principal), policy);
    res.setHeader('ETag', etagOf(version));
    return view;
  }

  @Post(':id/archive')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: 'Archive a customer (hidden from lists by default, read-only); 409 when already archived' })
  @ApiBody({ schema: z.toJSONSchema(archiveCustomerBody, { io: 'input' }) as object, required: false })
  async archive(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(archiveCustomerBody)) body: ArchiveCustomerBody,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    const policy = await callerPolicy(this.policies, req, principal);
    const { view, version } = await this.customers.archive(id, body, commandMetadata(req, principal), policy);
    res.setHeader('ETag', etagOf(version));
    return view;
  }
}
