import { Body, Controller, HttpCode, Post, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, Public, Roles, UnauthenticatedError, type Principal, type RequestWithPrincipal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { anonymousMetadata, requestMetadata } from '../core/request-metadata';
import { SigningKeyService } from '../signing-keys/signing-key.service';
import { AuthExceptionFilter } from './auth-exception.filter';
import { MfaService } from '../mfa/mfa.service';
import { PasswordChangeService } from './password-change.service';
import {
  changePasswordBody,
  type ChangePasswordBody,
  loginBody,
  mfaActivateBody,
  mfaCodeBody,
  mfaEnrollBody,
  refreshBody,
  type LoginBody,
  type LoginResponse,
  type MfaActivateBody,
  type MfaCodeBody,
  type MfaEnrollBody,
  type RecoveryCodesResponse,
  type RefreshBody,
  type TokenResponse,
} from './auth.dto';
import { AuthService } from './auth.service';
import { StepUpService, type StepUpResponse } from './step-up.service';
import { MfaEnrollmentGuard } from './mfa-enrollment.guard';

/** The principal `MfaEnrollmentGuard` verified when no enrollment token was given. */
const authenticated = (req: RequestWithPrincipal): Principal => {
  if (!req.principal) throw new UnauthenticatedError();
  return req.principal;
};

@ApiTags('auth')
@Controller('v1/auth')
@UseFilters(AuthExceptionFilter)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: SigningKeyService,
    private readonly mfa: MfaService,
    private readonly passwords: PasswordChangeService,
    private readonly stepUps: StepUpService,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Log in with user name, password and (once enrolled) a TOTP or recovery code: an access token and a refresh token; or, when a role requires MFA and none is enrolled, {mfaEnrollmentRequired, enrollmentToken}',
  })
  @ApiBody({ schema: z.toJSONSchema(loginBody, { io: 'input' }) as object })
  login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody, @Req() req: Request): Promise<LoginResponse> {
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
    await this.auth.logout(principal, requestMetadata(req, principal));
  }

  @Post('mfa/enroll')
  @Public()
  @UseGuards(MfaEnrollmentGuard)
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Start TOTP enrolment: a new secret (shown once) and its otpauth:// URI, pending until activated. With an access token, or with the enrollmentToken of a login that must enrol first',
  })
  @ApiBody({ schema: z.toJSONSchema(mfaEnrollBody, { io: 'input' }) as object, required: false })
  enroll(@Body(new ZodValidationPipe(mfaEnrollBody)) body: MfaEnrollBody, @Req() req: RequestWithPrincipal): Promise<{ secret: string; otpauthUri: string }> {
    if (body.enrollmentToken) return this.auth.enrollWithToken(body.enrollmentToken, new Date());
    const principal = authenticated(req);
    return this.mfa.enroll(principal.userId, principal.username, new Date());
  }

  @Post('mfa/activate')
  @Public()
  @UseGuards(MfaEnrollmentGuard)
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Activate TOTP with a current code: the recovery codes (shown once); with an enrollmentToken, also the tokens of a new session. From then on login needs a code',
  })
  @ApiBody({ schema: z.toJSONSchema(mfaActivateBody, { io: 'input' }) as object })
  activate(
    @Body(new ZodValidationPipe(mfaActivateBody)) body: MfaActivateBody,
    @Req() req: RequestWithPrincipal,
  ): Promise<RecoveryCodesResponse | (TokenResponse & RecoveryCodesResponse)> {
    if (body.enrollmentToken) return this.auth.activateWithToken(body.enrollmentToken, body.totp, anonymousMetadata(req));
    const principal = authenticated(req);
    return this.auth.activate(principal, body.totp, requestMetadata(req, principal));
  }

  @Post('mfa/recovery-codes')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Replace the recovery codes (the old ones stop working) after a current TOTP code; shown once' })
  @ApiBody({ schema: z.toJSONSchema(mfaCodeBody, { io: 'input' }) as object })
  regenerateRecoveryCodes(
    @Body(new ZodValidationPipe(mfaCodeBody)) body: MfaCodeBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<RecoveryCodesResponse> {
    return this.auth.regenerateRecoveryCodes(principal, body.totp, requestMetadata(req, principal));
  }

  @Post('password')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      "Change the caller's password (the current one is checked like a login, the new one against the policy); every other session of the user is revoked",
  })
  @ApiBody({ schema: z.toJSONSchema(changePasswordBody, { io: 'input' }) as object })
  changePassword(
    @Body(new ZodValidationPipe(changePasswordBody)) body: ChangePasswordBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<{ sessionsRevoked: number }> {
    return this.passwords.change(principal, body.currentPassword, body.newPassword, requestMetadata(req, principal));
  }

  @Post('step-up')
  @Authenticated()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      "Prove a fresh TOTP code (not a recovery code): a 5-minute step-up proof bound to the caller's session, for sensitive approvals. People only; 403 without MFA enrolled; a wrong code is 401 and counts toward the lockout",
  })
  @ApiBody({ schema: z.toJSONSchema(mfaCodeBody, { io: 'input' }) as object })
  stepUp(@Body(new ZodValidationPipe(mfaCodeBody)) body: MfaCodeBody, @CurrentPrincipal() principal: Principal, @Req() req: Request): Promise<StepUpResponse> {
    return this.stepUps.stepUp(principal, body.totp, requestMetadata(req, principal));
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
