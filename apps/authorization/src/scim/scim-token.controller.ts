import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import { z } from 'zod';
import { createScimTokenBody, scimTokenIdParam, type CreateScimTokenBody } from './scim.dto';
import { ScimTokenService, type IssuedScimToken, type ScimTokenView } from './scim-token.service';

@ApiTags('scim')
@ApiBearerAuth()
@Controller('v1/scim/tokens')
@Roles('admin')
export class ScimTokenController {
  constructor(private readonly tokens: ScimTokenService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue a SCIM bearer token for an identity provider (admin); the token is shown only in this answer' })
  @ApiBody({ schema: z.toJSONSchema(createScimTokenBody, { io: 'input' }) as object })
  issue(@Body(new ZodValidationPipe(createScimTokenBody)) body: CreateScimTokenBody, @CurrentPrincipal() principal: Principal): Promise<IssuedScimToken> {
    return this.tokens.issue(body.name, principal.userId, new Date());
  }

  @Get()
  @ApiOperation({ summary: 'List SCIM tokens, without their secrets (admin)' })
  list(): Promise<ScimTokenView[]> {
    return this.tokens.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a SCIM token (admin)' })
  async revoke(@Param('id', new ZodValidationPipe(scimTokenIdParam)) id: string): Promise<void> {
    await this.tokens.revoke(id, new Date());
  }
}
