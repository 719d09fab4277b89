import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import {
  customerIdParam,
  registerCustomerBody,
  searchCustomersQuery,
  type CustomerPage,
  type CustomerView,
  type RegisterCustomerBody,
  type SearchCustomersQuery,
} from './customer.dto';
import { CustomerService } from './customer.service';

@ApiTags('customers')
@Controller('v1/customers')
export class CustomerController {
  constructor(private readonly customers: CustomerService) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a customer' })
  @ApiBody({ schema: z.toJSONSchema(registerCustomerBody, { io: 'input' }) as object })
  register(
    @Body(new ZodValidationPipe(registerCustomerBody)) body: RegisterCustomerBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerView> {
    return this.customers.register(body, commandMetadata(req, principal));
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'Find customers by exact mobile, email or national ID (blind index); masked' })
  @ApiQuery({ name: 'mobile', required: false })
  @ApiQuery({ name: 'email', required: false })
  @ApiQuery({ name: 'nationalId', required: false })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  search(@Query(new ZodValidationPipe(searchCustomersQuery)) query: SearchCustomersQuery): Promise<CustomerPage> {
    return this.customers.search(query);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Read a customer (sensitive fields masked)' })
  get(@Param('id', new ZodValidationPipe(customerIdParam)) id: string): Promise<CustomerView> {
    return this.customers.get(id);
  }
}
