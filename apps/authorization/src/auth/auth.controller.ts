import { Body, Controller, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandMetadata, ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, Public, Roles, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { anonymousMetadata } from '../core/request-metadata';
import { SigningKeyService } from '../signing-keys/signing-key.service';
import { AuthExceptionFilter } from './auth-exception.filter';
import { MfaService } from '../mfa/mfa.service';
import { loginBody, mfaCodeBody, refreshBody, type LoginBody, type MfaCodeBody, type RefreshBody, type TokenResponse } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('v1/auth')
@UseFilters(AuthExceptionFilter)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: SigningKeyService,
    private readonly mfa: MfaService,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with user name and password: an access token and a refresh token' })
  @ApiBody({ schema: z.toJSONSchema(loginBody, { io: 'input' }) as object })
  login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody, @Req() req: Request): Promise<TokenResponse> {
    return this.auth.login(body, anonymousMetadata(req));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for new tokens (the old one is spent; reusing it ends the session)' })
  @ApiBody({ schema: z.toJSONSchema(refreshBody, { io: 'input' }) as object })
  refresh(@Body(new ZodValidationPipe(refreshBody)) body: RefreshBody, @Req() req: Request): Promise<TokenResponse> {
    return this.auth.refresh(body.refreshToken, anonymousMetadata(req));
  }

  @Post('logout')
  @Authenticated()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: "End the caller's session" })
  async logout(@CurrentPrincipal() principal: Principal, @Req() req: Request): Promise<void> {
    await this.auth.logout(principal, commandMetadata(req, principal));
  }

  @Post('mfa/enroll')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Start TOTP enrolment: a new secret (shown once) and its otpauth:// URI; pending until confirmed' })
  enroll(@CurrentPrincipal() principal: Principal): Promise<{ secret: string; otpauthUri: string }> {
    return this.mfa.enroll(principal.userId, principal.username, new Date());
  }

  @Post('mfa/confirm')
  @Authenticated()
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Confirm TOTP enrolment with a current code; from then on login needs a code' })
  @ApiBody({ schema: z.toJSONSchema(mfaCodeBody, { io: 'input' }) as object })
  async confirm(
    @Body(new ZodValidationPipe(mfaCodeBody)) body: MfaCodeBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<void> {
    await this.mfa.confirm(principal.userId, body.totp, commandMetadata(req, principal));
  }

  @Post('keys/rotate')
  @Roles('admin')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate the token signing key (admin); old keys stay in the JWKS until their tokens expire' })
  rotate(): Promise<{ kid: string }> {
    return this.keys.rotate();
  }
}
