import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequestValidationError, ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, isServicePrincipal, ServicePrincipals, type CompiledAbility, type Principal } from '@warden/security';
import { z } from 'zod';
import { AbilityService } from './ability.service';
import { decisionsBody, userIdParam, type DecisionResult, type DecisionsBody } from './policy.dto';
import { AccessError } from './policy.exception';


/** Roles that may read anyone's compiled ability (to explain or audit a decision). */
const ABILITY_READERS: ReadonlySet<string> = new Set(['admin', 'security_officer']);

/** The services that enforce abilities (client credentials): they read any user's ability and ask for decisions. */
export const ABILITY_SERVICES = ['exports', 'customer-records', 'offboarding', 'anomaly-alerting'] as const;

@ApiTags('policy')
@ApiBearerAuth()
@Controller('v1')
export class AbilityController {
  constructor(private readonly abilities: AbilityService) {}

  @Get('users/:id/ability')
  @Authenticated()
  @ServicePrincipals(...ABILITY_SERVICES)
  @ApiOperation({
    summary: "A user's compiled ability with its policyVersion (the user, an admin or security_officer by their current roles, the enforcing services)",
  })
  async userAbility(@Param('id', new ZodValidationPipe(userIdParam)) id: string, @CurrentPrincipal() principal: Principal): Promise<CompiledAbility> {
    // The reader's roles as they are now (the database), not as the token says: a demoted admin
    // stops reading others' abilities at once, not when their token expires.
    if (principal.userId !== id && !isServicePrincipal(principal)) {
      const roles = await this.abilities.currentRolesOf(principal.userId);
      if (!roles.some((role) => ABILITY_READERS.has(role))) {
        throw new AccessError("only the user, an admin or a security officer may read a user's ability");
      }
    }
    return this.abilities.compiledFor(id);
  }

  @Post('decisions')
  @HttpCode(200)
  @Authenticated()
  @ServicePrincipals(...ABILITY_SERVICES)
  @ApiOperation({
    summary:
      "Evaluates up to 100 (subject, action, resource?) against the caller's ability; a service names the user whose ability decides (userId)",
  })
  @ApiBody({ schema: z.toJSONSchema(decisionsBody, { io: 'input' }) as object })
  async decisions(
    @Body(new ZodValidationPipe(decisionsBody)) body: DecisionsBody,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ results: DecisionResult[] }> {
    return { results: await this.abilities.decide(decidingUser(principal, body.userId), body.decisions) };
  }
}

/** Whose ability decides: a person's own (naming another user is refused); a service must name the user. */
function decidingUser(principal: Principal, userId: string | undefined): string {
  if (isServicePrincipal(principal)) {
    if (!userId) throw new RequestValidationError(['body.userId: is required when a service asks for decisions']);
    return userId;
  }
  if (userId !== undefined && userId !== principal.userId) throw new AccessError("decisions are made on the caller's own ability");
  return principal.userId;
}
