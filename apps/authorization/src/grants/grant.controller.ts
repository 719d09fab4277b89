import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { requestMetadata } from '../core/request-metadata';
import {
  grantDecisionBody,
  grantIdParam,
  listGrantsQuery,
  requestGrantBody,
  type GrantDecisionBody,
  type GrantView,
  type ListGrantsQuery,
  type RequestGrantBody,
} from './grant.dto';
import { GrantService } from './grant.service';

/** Finer checks (who may decide) are the service's, against the caller's ability. */
@ApiTags('grants')
@ApiBearerAuth()
@Controller('v1/grants')
@Authenticated()
export class GrantController {
  constructor(private readonly grants: GrantService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Request a time-bound grant (pending until approved); expiresAt at most 90 days ahead' })
  @ApiBody({ schema: z.toJSONSchema(requestGrantBody, { io: 'input' }) as object })
  request(
    @Body(new ZodValidationPipe(requestGrantBody)) body: RequestGrantBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<GrantView> {
    return this.grants.request(body, principal, requestMetadata(req, principal));
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s grants and those they may approve, by userId and status' })
  list(@Query(new ZodValidationPipe(listGrantsQuery)) query: ListGrantsQuery, @CurrentPrincipal() principal: Principal): Promise<GrantView[]> {
    return this.grants.list(query, principal);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: "Approve (a supervisor of the grantee's team or a security officer; never the grantee)" })
  @ApiBody({ schema: z.toJSONSchema(grantDecisionBody, { io: 'input' }) as object })
  approve(
    @Param('id', new ZodValidationPipe(grantIdParam)) id: string,
    @Body(new ZodValidationPipe(grantDecisionBody)) body: GrantDecisionBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<GrantView> {
    return this.grants.approve(id, body, principal, requestMetadata(req, principal));
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: "Reject (a supervisor of the grantee's team or a security officer; never the grantee)" })
  @ApiBody({ schema: z.toJSONSchema(grantDecisionBody, { io: 'input' }) as object })
  reject(
    @Param('id', new ZodValidationPipe(grantIdParam)) id: string,
    @Body(new ZodValidationPipe(grantDecisionBody)) body: GrantDecisionBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<GrantView> {
    return this.grants.reject(id, body, principal, requestMetadata(req, principal));
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke (the grantee, whoever may approve it, or an admin)' })
  @ApiBody({ schema: z.toJSONSchema(grantDecisionBody, { io: 'input' }) as object })
  revoke(
    @Param('id', new ZodValidationPipe(grantIdParam)) id: string,
    @Body(new ZodValidationPipe(grantDecisionBody)) body: GrantDecisionBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<GrantView> {
    return this.grants.revoke(id, body, principal, requestMetadata(req, principal));
  }
}
