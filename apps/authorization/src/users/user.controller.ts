import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Authenticated, CurrentPrincipal, ForbiddenError, Roles, ServicePrincipals, type Principal } from '@warden/security';
import type { Request } from 'express';
import { z } from 'zod';
import { requestMetadata } from '../core/request-metadata';
import type { SessionView } from '../sessions/session.dto';
import { SessionService } from '../sessions/session.service';
import {
  createUserBody,
  listUsersQuery,
  updateUserBody,
  userIdParam,
  type CreateUserBody,
  type ListUsersQuery,
  type Page,
  type UpdateUserBody,
  type UserView,
} from './user.dto';
import { UserService } from './user.service';

/** The services that read users and teams (client credentials, `system:<id>`). */
export const USER_READERS = ['exports', 'offboarding', 'anomaly-alerting', 'audit'] as const;

/** The people who read the user directory: HR picks leavers and successors, security officers watch departing users. */
export const USER_DIRECTORY_ROLES = ['admin', 'hr', 'security_officer'] as const;

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
@Roles('admin')
export class UserController {
  constructor(
    private readonly users: UserService,
    private readonly sessions: SessionService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a user (admin)' })
  @ApiBody({ schema: z.toJSONSchema(createUserBody, { io: 'input' }) as object })
  create(
    @Body(new ZodValidationPipe(createUserBody)) body: CreateUserBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<UserView> {
    return this.users.create(body, requestMetadata(req, principal));
  }

  @Get()
  @Roles(...USER_DIRECTORY_ROLES)
  @ServicePrincipals(...USER_READERS)
  @ApiOperation({ summary: 'List users (admin, hr, security officer; the exports, offboarding, anomaly-alerting and audit services), filtered by username, teamId, status; cursor paging' })
  list(@Query(new ZodValidationPipe(listUsersQuery)) query: ListUsersQuery): Promise<Page<UserView>> {
    return this.users.list(query);
  }

  @Get(':id')
  @Roles(...USER_DIRECTORY_ROLES)
  @ServicePrincipals(...USER_READERS)
  @ApiOperation({ summary: 'Read a user (admin, hr, security officer; the exports, offboarding, anomaly-alerting and audit services)' })
  get(@Param('id', new ZodValidationPipe(userIdParam)) id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a user (admin); disabling or offboarding ends every session' })
  @ApiBody({ schema: z.toJSONSchema(updateUserBody, { io: 'input' }) as object })
  update(
    @Param('id', new ZodValidationPipe(userIdParam)) id: string,
    @Body(new ZodValidationPipe(updateUserBody)) body: UpdateUserBody,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<UserView> {
    return this.users.update(id, body, requestMetadata(req, principal));
  }

  @Get(':id/sessions')
  @Authenticated()
  @ApiOperation({ summary: "A user's sessions (admin; or the user themself)" })
  async listSessions(
    @Param('id', new ZodValidationPipe(userIdParam)) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SessionView[]> {
    assertSelfOrAdmin(principal, id);
    await this.users.get(id);
    return this.sessions.listForUser(id);
  }

  @Delete(':id/sessions')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'End every session of a user at once (admin; or the user themself: sign out everywhere)' })
  async revokeSessions(
    @Param('id', new ZodValidationPipe(userIdParam)) id: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
  ): Promise<void> {
    assertSelfOrAdmin(principal, id);
    await this.users.get(id);
    const reason = principal.userId === id ? 'signed_out_everywhere' : 'revoked_by_admin';
    await this.sessions.revokeAll(id, reason, requestMetadata(req, principal));
  }
}

/** A person's own sessions are theirs to see and end; anyone else's only an admin's. */
function assertSelfOrAdmin(principal: Principal, userId: string): void {
  if (principal.userId !== userId && !principal.roles.includes('admin')) {
    throw new ForbiddenError("only an admin may see or end another user's sessions");
  }
}
