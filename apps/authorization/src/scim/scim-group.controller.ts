import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@warden/security';
import { parseListQuery, scimBaseUrl, scimMetadata } from './scim.dto';
import { ScimAuthGuard, type ScimRequest } from './scim-auth.guard';
import { ScimExceptionFilter } from './scim-exception.filter';
import { parseScimGroupFilter } from './scim-filter';
import { groupFromResource } from './scim-group.model';
import { ScimGroupService, type GroupReadOptions } from './scim-group.service';
import { normalisePatchOps } from './scim-patch';
import type { JsonObject } from './scim-user.model';
import type { ScimListResponse } from './scim-user.service';

const names = (value: unknown): string[] | null =>
  typeof value === 'string' ? value.split(',').map((name) => name.trim().toLowerCase()) : null;

/** `excludedAttributes=members` (Entra ID), or `attributes=…` without members, leaves the member list out. */
function readOptions(query: Record<string, unknown>, req: ScimRequest): GroupReadOptions {
  const excluded = names(query['excludedAttributes']);
  const only = names(query['attributes']);
  const members = !(excluded?.includes('members') ?? false) && (only === null || only.includes('members'));
  return { baseUrl: scimBaseUrl(req), members };
}

/**
 * SCIM 2.0 Groups (RFC 7644 §3), behind the SCIM token. A group named like a Warden role grants
 * that role to its members; other groups grant nothing (ScimGroupService).
 */
@ApiExcludeController()
@Controller('scim/v2/Groups')
@Public()
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
export class ScimGroupController {
  constructor(private readonly groups: ScimGroupService) {}

  @Get()
  list(@Query() query: Record<string, unknown>, @Req() req: ScimRequest): Promise<ScimListResponse> {
    const { filter, startIndex, count } = parseListQuery(query);
    return this.groups.list(filter ? parseScimGroupFilter(filter) : [], startIndex, count, readOptions(query, req));
  }

  @Get(':id')
  get(@Param('id') id: string, @Query() query: Record<string, unknown>, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.groups.get(id, readOptions(query, req));
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.groups.create(groupFromResource(body), scimMetadata(req), readOptions({}, req));
  }

  @Put(':id')
  replace(@Param('id') id: string, @Body() body: unknown, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.groups.replace(id, groupFromResource(body), scimMetadata(req), readOptions({}, req));
  }

  @Patch(':id')
  patch(@Param('id') id: string, @Body() body: unknown, @Query() query: Record<string, unknown>, @Req() req: ScimRequest): Promise<JsonObject> {
    return this.groups.patch(id, normalisePatchOps(body), scimMetadata(req), readOptions(query, req));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: ScimRequest): Promise<void> {
    await this.groups.remove(id, scimMetadata(req));
  }
}
