import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, UnauthenticatedError, type Policy, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import {
  customerIdParam,
  eraseCustomerBody,
  registerCustomerBody,
  searchCustomersQuery,
  type CustomerPage,
  type CustomerView,
  type EraseCustomerBody,
  type RegisterCustomerBody,
  type SearchCustomersQuery,
} from './customer.dto';
import { CustomerService } from './customer.service';

const BEARER = /^Bearer (\S+)$/;

@ApiTags('customers')
@Controller('v1/customers')
export class CustomerController {
  constructor(
    private readonly customers: CustomerService,
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
    summary: "Find customers by exact mobile, email or national ID (blind index), within the caller's view; fields at the caller's levels",
  })
  @ApiQuery({ name: 'mobile', required: false })
  @ApiQuery({ name: 'email', required: false })
  @ApiQuery({ name: 'nationalId', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  async search(
    @Query(new ZodValidationPipe(searchCustomersQuery)) query: SearchCustomersQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerPage> {
    return this.customers.search(query, await this.policyOf(req, principal));
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: "Read a customer within the caller's view (404 outside it); fields at the caller's levels" })
  async get(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    return this.customers.get(id, await this.policyOf(req, principal));
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
