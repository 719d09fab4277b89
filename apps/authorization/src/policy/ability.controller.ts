import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, type CompiledAbility, type Principal } from '@warden/security';
import { z } from 'zod';
import { AbilityService } from './ability.service';
import { decisionsBody, userIdParam, type DecisionResult, type DecisionsBody } from './policy.dto';
import { AccessError } from './policy.exception';

/** Roles that may read anyone's compiled ability (to explain or audit a decision). */
const ABILITY_READERS: ReadonlySet<string> = new Set(['admin', 'security_officer']);

@ApiTags('policy')
@ApiBearerAuth()
@Controller('v1')
export class AbilityController {
  constructor(private readonly abilities: AbilityService) {}

  @Get('users/:id/ability')
  @Authenticated()
  @ApiOperation({ summary: "A user's compiled ability with its policyVersion (the user, admin or security_officer)" })
  userAbility(@Param('id', new ZodValidationPipe(userIdParam)) id: string, @CurrentPrincipal() principal: Principal): Promise<CompiledAbility> {
    if (principal.userId !== id && !principal.roles.some((role) => ABILITY_READERS.has(role))) {
      throw new AccessError("only the user, an admin or a security officer may read a user's ability");
    }
    return this.abilities.compiledFor(id);
  }

  @Post('decisions')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: "Evaluates up to 100 (subject, action, resource?) against the caller's ability" })
  @ApiBody({ schema: z.toJSONSchema(decisionsBody, { io: 'input' }) as object })
  async decisions(
    @Body(new ZodValidationPipe(decisionsBody)) body: DecisionsBody,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ results: DecisionResult[] }> {
    return { results: await this.abilities.decide(principal.userId, body.decisions) };
  }
}
