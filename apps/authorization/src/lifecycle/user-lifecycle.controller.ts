import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, ForbiddenError, Roles, serviceClientIdOf, ServicePrincipals, SYSTEM_ROLE, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { requestMetadata } from '../core/request-metadata';
import { userIdParam } from '../users/user.dto';
import {
  cancelDepartureBody,
  freezeBody,
  imposeRestrictionBody,
  markDepartingBody,
  requireMfaBody,
  restrictionIdParam,
  revokeAllBody,
  type CancelDepartureBody,
  type DepartureView,
  type FreezeBody,
  type FreezeResponse,
  type ImposeRestrictionBody,
  type MarkDepartingBody,
  type RequireMfaBody,
  type RestrictionView,
  type RevokeAllBody,
} from './user-lifecycle.dto';
import { UserLifecycleService } from './user-lifecycle.service';

const userId = new ZodValidationPipe(userIdParam);

/** For the offboarding service (and admin, hr): departing and freeze. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class OffboardingController {
  constructor(private readonly lifecycle: UserLifecycleService) {}

  @Post(':id/departing')
  @HttpCode(200)
  @Roles('admin', 'hr')
  @ServicePrincipals('offboarding')
  @ApiOperation({ summary: 'Mark a user departing on effectiveAt (status departing; idempotent). admin, hr, the offboarding service' })
  @ApiBody({ schema: z.toJSONSchema(markDepartingBody, { io: 'input' }) as object })
  markDeparting(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(markDepartingBody)) body: MarkDepartingBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<DepartureView> {
    return this.lifecycle.markDeparting(id, body.effectiveAt, requestMetadata(req, principal));
  }

  @Post(':id/departing/cancel')
  @HttpCode(200)
  @Roles(SYSTEM_ROLE)
  @ServicePrincipals('offboarding')
  @ApiOperation({
    summary:
      'Clear the departing mark (the offboarding was cancelled before it took effect): a departing user is active again, the date cleared; idempotent; 409 for an offboarded user. The offboarding service only',
  })
  @ApiBody({ schema: z.toJSONSchema(cancelDepartureBody, { io: 'input' }) as object })
  cancelDeparture(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(cancelDepartureBody)) body: CancelDepartureBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<DepartureView> {
    // Only the service that cancels offboarding cases: no person, whatever roles they were given.
    if (serviceClientIdOf(principal) !== 'offboarding') throw new ForbiddenError('this endpoint is open to the offboarding service only');
    return this.lifecycle.cancelDeparture(id, body.reason, requestMetadata(req, principal));
  }

  @Post(':id/freeze')
  @HttpCode(200)
  @Roles('admin', 'hr')
  @ServicePrincipals('offboarding')
  @ApiOperation({
    summary:
      'Freeze a user at once: status offboarded, every session and refresh token revoked (Redis marker first), every pending or active grant revoked; a second call changes nothing. admin, hr, the offboarding service',
  })
  @ApiBody({ schema: z.toJSONSchema(freezeBody, { io: 'input' }) as object })
  freeze(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(freezeBody)) body: FreezeBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<FreezeResponse> {
    return this.lifecycle.freeze(id, body.reason, requestMetadata(req, principal));
  }
}

/** For anomaly-alerting's automated responses (and security officers). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
@Roles('security_officer')
@ServicePrincipals('anomaly-alerting')
export class ResponseController {
  constructor(private readonly lifecycle: UserLifecycleService) {}

  @Post(':id/sessions/revoke-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'End every session of a user at once. security_officer, the anomaly-alerting service' })
  @ApiBody({ schema: z.toJSONSchema(revokeAllBody, { io: 'input' }) as object, required: false })
  revokeAll(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(revokeAllBody)) body: RevokeAllBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<{ sessionsRevoked: number }> {
    return this.lifecycle.revokeAllSessions(id, body.reason ?? 'automated_response', requestMetadata(req, principal));
  }

  @Post(':id/require-mfa')
  @HttpCode(200)
  @ApiOperation({ summary: 'Require a second factor from the next login on (enrolment first if none). security_officer, anomaly-alerting' })
  @ApiBody({ schema: z.toJSONSchema(requireMfaBody, { io: 'input' }) as object, required: false })
  requireMfa(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(requireMfaBody)) body: RequireMfaBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<{ mfaRequired: true }> {
    return this.lifecycle.requireMfa(id, body.reason ?? null, requestMetadata(req, principal));
  }

  @Post(':id/restrictions')
  @HttpCode(201)
  @ApiOperation({ summary: "A time-bound deny of the export action, in force until `until` (bumps the user's policy version)" })
  @ApiBody({ schema: z.toJSONSchema(imposeRestrictionBody, { io: 'input' }) as object })
  impose(
    @Param('id', userId) id: string,
    @Body(new ZodValidationPipe(imposeRestrictionBody)) body: ImposeRestrictionBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<RestrictionView> {
    return this.lifecycle.imposeRestriction(id, body, requestMetadata(req, principal));
  }

  @Get(':id/restrictions')
  @ApiOperation({ summary: "A user's restrictions (imposed, lifted, expired)" })
  list(@Param('id', userId) id: string): Promise<RestrictionView[]> {
    return this.lifecycle.listRestrictions(id);
  }

  @Delete(':id/restrictions/:restrictionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift a restriction (idempotent)' })
  async lift(
    @Param('id', userId) id: string,
    @Param('restrictionId', new ZodValidationPipe(restrictionIdParam)) restrictionId: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<void> {
    await this.lifecycle.liftRestriction(id, restrictionId, requestMetadata(req, principal));
  }
}
