import { Body, Controller, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { requestMetadata } from '../core/request-metadata';
import { createRoleBody, roleNameParam, updateRoleBody, type CreateRoleBody, type RoleView, type UpdateRoleBody } from './role.dto';
import { RoleService } from './role.service';

@ApiTags('roles')
@ApiBearerAuth()
@Controller('v1/roles')
export class RoleController {
  constructor(private readonly roles: RoleService) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'List the roles (defaults and custom) with their permissions' })
  list(): Promise<RoleView[]> {
    return this.roles.list();
  }

  @Post()
  @HttpCode(201)
  @Roles('admin')
  @ApiOperation({ summary: 'Define a custom role (admin)' })
  @ApiBody({ schema: z.toJSONSchema(createRoleBody, { io: 'input' }) as object })
  create(
    @Body(new ZodValidationPipe(createRoleBody)) body: CreateRoleBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<RoleView> {
    return this.roles.create(body, requestMetadata(req, principal));
  }

  @Put(':name')
  @Roles('admin')
  @ApiOperation({ summary: "Replace a role's definition (admin); bumps the policy version of every holder" })
  @ApiBody({ schema: z.toJSONSchema(updateRoleBody, { io: 'input' }) as object })
  update(
    @Param('name', new ZodValidationPipe(roleNameParam)) name: string,
    @Body(new ZodValidationPipe(updateRoleBody)) body: UpdateRoleBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<RoleView> {
    return this.roles.update(name, body, requestMetadata(req, principal));
  }
}
