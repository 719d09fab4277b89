import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { callerPolicy } from '../customer/customer-lifecycle.util';
import { customerIdParam } from '../customer/customer.dto';
import { addNoteBody, listNotesQuery, type AddNoteBody, type ListNotesQuery, type NotePage, type NoteView } from './customer-notes.dto';
import { CustomerNotesService } from './customer-notes.service';

@ApiTags('customers')
@Controller('v1/customers/:id/notes')
export class CustomerNotesController {
  constructor(
    private readonly notes: CustomerNotesService,
    private readonly policies: PolicyClient,
  ) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a communication note (encrypted); needs update on the customer' })
  @ApiBody({ schema: z.toJSONSchema(addNoteBody, { io: 'input' }) as object })
  async add(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Body(new ZodValidationPipe(addNoteBody)) body: AddNoteBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<NoteView> {
    const policy = await callerPolicy(this.policies, req, principal);
    return this.notes.add(id, body, commandMetadata(req, principal), policy);
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "A customer's notes, newest first; bodies at the caller's level for notes (clear, masked, omitted)" })
  async list(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Query(new ZodValidationPipe(listNotesQuery)) query: ListNotesQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<NotePage> {
    return this.notes.list(id, query, await callerPolicy(this.policies, req, principal));
  }
}
