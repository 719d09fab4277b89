import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@warden/security';
import { parseListQuery, scimBaseUrl, scimMetadata } from './scim.dto';
import { ScimAuthGuard, type ScimRequest } from './scim-auth.guard';
import { ScimExceptionFilter } from './scim-exception.filter';
import { parseScimFilter } from './scim-filter';
import { normalisePatchOps } from './scim-patch';
import { userFromResource, type JsonObject } from './scim-user.model';
import { ScimUserService, type ScimListResponse } from './scim-user.service';

/** SCIM 2.0 Users (RFC 7644 §3): no user JWT (`@Public()` to the platform guard), a SCIM bearer token instead. */
@ApiExcludeController()
@Controller('scim/v2/Users')
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
export class ScimUserController {
  constructor(private readonly users: ScimUserService) {}

  @Get()
  list(@Query() query: Record<string, unknown>, @Req() req: ScimRequest): Promise<ScimListResponse> {
    const { filter, startIndex, count } = parseListQuery(query);
    return this.users.list(filter ? parseScimFilter(filter) : [], startIndex, count, scimBaseUrl(req));
  }

  @Get(':id')
  get(@Param('id') id: string, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.users.get(id, scimBaseUrl(req));
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.users.create(userFromResource(body), scimMetadata(req), scimBaseUrl(req));
  }

  @Put(':id')
  replace(@Param('id') id: string, @Body() body: unknown, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.users.replace(id, userFromResource(body), scimMetadata(req), scimBaseUrl(req));
  }

  @Patch(':id')
  patch(@Param('id') id: string, @Body() body: unknown, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.users.patch(id, normalisePatchOps(body), scimMetadata(req), scimBaseUrl(req));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: ScimRequest): Promise<void> {
    await this.users.remove(id, scimMetadata(req));
  }
}
