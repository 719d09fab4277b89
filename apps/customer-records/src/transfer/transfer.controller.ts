import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { requestTransferBody, transferIdParam, type RequestTransferBody, type TransferView } from './transfer.dto';
import { TransferService } from './transfer.service';

@ApiTags('customers')
@Controller('v1/customers/transfers')
export class TransferController {
  constructor(private readonly transfers: TransferService) {}

  @Post()
  @Roles('admin', 'hr')
  @HttpCode(202)
  @ApiOperation({
    summary: "Transfer every customer of a user to another user or a pool (issues TransferCustomers; runs in the background)",
  })
  @ApiBody({ schema: z.toJSONSchema(requestTransferBody, { io: 'input' }) as object })
  async request(
    @Body(new ZodValidationPipe(requestTransferBody)) body: RequestTransferBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ transferId: string; commandId: string }> {
    return this.transfers.request(body, commandMetadata(req, principal));
  }

  @Get(':id')
  @Roles('admin', 'hr')
  @ApiOperation({ summary: 'A transfer: status, progress (done of total), outcome' })
  async get(@Param('id', new ZodValidationPipe(transferIdParam)) id: string): Promise<TransferView> {
    return this.transfers.get(id);
  }
}
