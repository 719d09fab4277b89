import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { detectionRuleSchema, ruleSettingsPatchSchema, type DetectionRule, type RuleSettingsPatch } from '../detection/rule-settings';
import { RuleService, type RuleView } from './rule.service';

const ruleParam = z.string().pipe(detectionRuleSchema);

@ApiTags('rules')
@Controller('v1/rules')
export class RuleController {
  constructor(private readonly rules: RuleService) {}

  @Get()
  @Roles('security_officer', 'admin', 'auditor')
  @ApiOperation({ summary: 'Every detection rule with its current settings' })
  list(): Promise<RuleView[]> {
    return this.rules.list();
  }

  @Put(':id')
  @Roles('security_officer', 'admin')
  @ApiOperation({ summary: 'Change a rule (enabled, severity, windowSeconds, thresholds, response); recorded as AlertRuleChanged' })
  @ApiBody({ schema: z.toJSONSchema(ruleSettingsPatchSchema, { io: 'input' }) as object })
  change(
    @Param('id', new ZodValidationPipe(ruleParam)) id: DetectionRule,
    @Body(new ZodValidationPipe(ruleSettingsPatchSchema)) body: RuleSettingsPatch,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RuleView> {
    return this.rules.change(id, body, commandMetadata(req, principal));
  }
}
