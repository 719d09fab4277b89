import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ScimError } from './scim.exception';
import { ScimTokenService, type ScimCaller } from './scim-token.service';

export type ScimRequest = Request & { scimCaller?: ScimCaller };

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * SCIM endpoints are `@Public()` to the platform guard (identity providers hold no user JWT) and
 * behind this guard instead: `Authorization: Bearer <SCIM token>`, else 401 with a SCIM error body.
 */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    const match = BEARER.exec(request.header('authorization') ?? '');
    const caller = match ? await this.tokens.verify(match[1]) : null;
    if (!caller) {
      context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', 'Bearer realm="warden-scim"');
      throw ScimError.unauthorized(match ? 'the SCIM bearer token is invalid or revoked' : 'a SCIM bearer token is required');
    }
    request.scimCaller = caller;
    return true;
  }
}
