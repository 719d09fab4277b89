import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { customerIdParam, registerCustomerBody, type CustomerView, type RegisterCustomerBody } from './customer.dto';
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

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Read a customer' })
  get(@Param('id', new ZodValidationPipe(customerIdParam)) id: string): Promise<CustomerView> {
    return this.customers.get(id);
  }
}
