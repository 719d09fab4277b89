import { Body, Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Public } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { AuthExceptionFilter } from '../auth/auth-exception.filter';
import { anonymousMetadata } from '../core/request-metadata';
import { serviceTokenBody, type ServiceTokenBody, type ServiceTokenResponse } from './service-token.dto';
import { ServiceTokenService } from './service-token.service';

@ApiTags('auth')
@Controller('v1/auth')
@UseFilters(AuthExceptionFilter)
export class ServiceTokenController {
  constructor(private readonly serviceTokens: ServiceTokenService) {}

  @Post('service-token')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Client credentials for Warden's services: a 5-minute access token as system:<clientId> (WARDEN_SERVICE_CLIENTS); 401 INVALID_CLIENT, lockout and rate limit like logins",
  })
  @ApiBody({ schema: z.toJSONSchema(serviceTokenBody, { io: 'input' }) as object })
  issue(@Body(new ZodValidationPipe(serviceTokenBody)) body: ServiceTokenBody, @Req() req: Request): Promise<ServiceTokenResponse> {
    return this.serviceTokens.issue(body, anonymousMetadata(req));
  }
}
