import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import {
  CurrentPrincipal,
  ForbiddenError,
  PolicyClient,
  Roles,
  ServicePrincipals,
  SYSTEM_ROLE,
  serviceClientIdOf,
  UnauthenticatedError,
  type Policy,
  type Principal,
} from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { customerStreamBody, type CustomerStreamBody } from './customer-stream.dto';
import { CustomerStreamService } from './customer-stream.service';

const BEARER = /^Bearer (\S+)$/;

/** The services that may stream customers on a user's behalf. */
const STREAM_CLIENTS = ['exports'];

/**
 * Service-to-service reads for the exports service: only the `system:exports` principal (role
 * `system`), never a person; rows and fields are those of the user the export is for.
 */
@ApiTags('internal')
@Controller('internal/v1/customers')
export class CustomerStreamController {
  constructor(
    private readonly streams: CustomerStreamService,
    private readonly policies: PolicyClient,
  ) {}

  /**
   * The ability of `onBehalfOf`, fetched with the service's own token (the authorization service
   * lets system principals read abilities). Only `system:exports` with the `system` role gets here.
   */
  private policyFor(req: Request, principal: Principal, onBehalfOf: string): Promise<Policy> {
    const client = serviceClientIdOf(principal);
    if (client === null || !STREAM_CLIENTS.includes(client) || !principal.roles.includes(SYSTEM_ROLE)) {
      throw new ForbiddenError('only the exports service may stream customers');
    }
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    return this.policies.abilityFor(
      { userId: onBehalfOf, sessionId: principal.sessionId, username: onBehalfOf, roles: [], teamId: null, issuedAt: principal.issuedAt },
      match[1],
    );
  }

  @Post('stream')
  @Roles(SYSTEM_ROLE)
  @ServicePrincipals(...STREAM_CLIENTS)
  @ApiOperation({
    summary:
      "Stream (application/x-ndjson) the customers a filter selects within onBehalfOf's view, fields at their levels; system:exports only",
  })
  @ApiBody({ schema: z.toJSONSchema(customerStreamBody, { io: 'input' }) as object })
  async stream(
    @Body(new ZodValidationPipe(customerStreamBody)) body: CustomerStreamBody,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const policy = await this.policyFor(req, principal, body.onBehalfOf);
    await this.streams.stream(body, policy, res, commandMetadata(req, principal));
  }

  @Post('count')
  @Roles(SYSTEM_ROLE)
  @ServicePrincipals(...STREAM_CLIENTS)
  @HttpCode(200)
  @ApiOperation({ summary: 'How many customers the stream with the same body would return (estimates); system:exports only' })
  @ApiBody({ schema: z.toJSONSchema(customerStreamBody, { io: 'input' }) as object })
  async count(
    @Body(new ZodValidationPipe(customerStreamBody)) body: CustomerStreamBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ count: number }> {
    const policy = await this.policyFor(req, principal, body.onBehalfOf);
    return { count: await this.streams.count(body, policy) };
  }
}
