import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { callerPolicy } from '../customer/customer-lifecycle.util';
import { customerIdParam } from '../customer/customer.dto';
import {
  listTransactionsQuery,
  recordTransactionBody,
  type ListTransactionsQuery,
  type RecordTransactionBody,
  type TransactionPage,
  type TransactionView,
} from './customer-transactions.dto';
import { CustomerTransactionsService } from './customer-transactions.service';

@ApiTags('customers')
@Controller('v1/customers/:id/transactions')
export class CustomerTransactionsController {
  constructor(
    private readonly transactions: CustomerTransactionsService,
    private readonly policies: PolicyClient,
  ) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: 'Record a transaction (amount as a decimal string, ISO 4217 currency); needs update on the customer' })
  @ApiBody({ schema: z.toJSONSchema(recordTransactionBody, { io: 'input' }) as object })
  async record(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(recordTransactionBody)) body: RecordTransactionBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TransactionView> {
    const policy = await callerPolicy(this.policies, req, principal);
    return this.transactions.record(id, body, commandMetadata(req, principal), policy);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "A customer's transactions, newest first" })
  async list(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Query(new ZodValidationPipe(listTransactionsQuery)) query: ListTransactionsQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TransactionPage> {
    return this.transactions.list(id, query, await callerPolicy(this.policies, req, principal));
  }
}
