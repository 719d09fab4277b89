import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, UnauthenticatedError, type Policy, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import {
  customerIdParam,
  eraseCustomerBody,
  getCustomerQuery,
  listCustomersQuery,
  registerCustomerBody,
  type CustomerPage,
  type CustomerView,
  type EraseCustomerBody,
  type GetCustomerQuery,
  type ListCustomersQuery,
  type RegisterCustomerBody,
} from './customer.dto';
import { CustomerQueryService } from './customer-query.service';
import { CustomerService } from './customer.service';

const BEARER = /^Bearer (\S+)$/;

@ApiTags('customers')
@Controller('v1/customers')
export class CustomerController {
  constructor(
    private readonly customers: CustomerService,
    private readonly queries: CustomerQueryService,
    private readonly policies: PolicyClient,
  ) {}

  /** The caller's policy, fetched with their own token (the guard has verified it). */
  private policyOf(req: Request, principal: Principal): Promise<Policy> {
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    return this.policies.abilityFor(principal, match[1]);
  }

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a customer (the caller owns it unless ownerId is given and the policy allows it)' })
  @ApiBody({ schema: z.toJSONSchema(registerCustomerBody, { io: 'input' }) as object })
  async register(
    @Body(new ZodValidationPipe(registerCustomerBody)) body: RegisterCustomerBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    const policy = await this.policyOf(req, principal);
    return this.customers.register(body, commandMetadata(req, principal), policy);
  }

  @Get()
  @Authenticated()
  @ApiOperation({
    summary:
      "List and search customers within the caller's view (filters in SQL, AND-ed), paged by id; fields at the caller's levels. Records CustomersListed / CustomersSearched.",
  })
  @ApiQuery({ name: 'q', required: false, description: 'case-insensitive substring of name or company' })
  @ApiQuery({ name: 'tags', required: false, description: 'comma-separated: customers having every one of these tags' })
  @ApiQuery({ name: 'ownerId', required: false })
  @ApiQuery({ name: 'teamId', required: false })
  @ApiQuery({ name: 'classification', required: false, enum: ['public', 'internal', 'confidential', 'restricted'] })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'archived'], description: 'default active' })
  @ApiQuery({ name: 'mobile', required: false, description: 'exact (normalised), by blind index' })
  @ApiQuery({ name: 'email', required: false, description: 'exact (normalised), by blind index' })
  @ApiQuery({ name: 'nationalId', required: false, description: 'exact (normalised), by blind index' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  async list(
    @Query(new ZodValidationPipe(listCustomersQuery)) query: ListCustomersQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerPage> {
    const policy = await this.policyOf(req, principal);
    return this.queries.list(query, policy, commandMetadata(req, principal));
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({
    summary:
      "Read a customer within the caller's view (404 outside it); fields at the caller's levels; ETag is the stream version. " +
      'reveal=<fields>&reason=… shows fields held at the clear level by a grant in clear (403 without clear level, 400 without reason). Records CustomerViewed and SensitiveFieldRevealed.',
  })
  @ApiQuery({ name: 'reveal', required: false, description: 'comma-separated sensitive fields: mobile, email, nationalId, address' })
  @ApiQuery({ name: 'reason', required: false, description: 'why the fields are revealed (required with reveal)' })
  async get(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Query(new ZodValidationPipe(getCustomerQuery)) query: GetCustomerQuery,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    const policy = await this.policyOf(req, principal);
    const view = await this.queries.read(id, query, policy, commandMetadata(req, principal));
    res.setHeader('ETag', `"${String(view.version)}"`);
    return view;
  }

  @Delete(':id')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Erase a customer's personal data (PIPL/GDPR): needs delete on the customer; 404 outside the caller's view, 410 when already erased",
  })
  @ApiBody({ schema: z.toJSONSchema(eraseCustomerBody, { io: 'input' }) as object })
  async erase(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(eraseCustomerBody)) body: EraseCustomerBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const policy = await this.policyOf(req, principal);
    await this.customers.erase(id, body, commandMetadata(req, principal), policy);
  }
}
