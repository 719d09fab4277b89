import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, Roles, ServicePrincipals, type Principal } from '@warden/security';
import { USER_READERS } from '../users/user.controller';
import type { Request } from 'express';
import { z } from 'zod';
import { requestMetadata } from '../core/request-metadata';
import { createTeamBody, type CreateTeamBody, type TeamView } from './team.dto';
import { TeamService } from './team.service';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('v1/teams')
@Roles('admin')
export class TeamController {
  constructor(private readonly teams: TeamService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a team (admin)' })
  @ApiBody({ schema: z.toJSONSchema(createTeamBody, { io: 'input' }) as object })
  create(
    @Body(new ZodValidationPipe(createTeamBody)) body: CreateTeamBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<TeamView> {
    return this.teams.create(body, requestMetadata(req, principal));
  }

  @Get()
  @ServicePrincipals(...USER_READERS)
  @ApiOperation({ summary: 'List teams (admin; the exports, offboarding, anomaly-alerting and audit services)' })
  list(): Promise<TeamView[]> {
    return this.teams.list();
  }
}
