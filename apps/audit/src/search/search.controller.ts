import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandMetadata, ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, PolicyClient, Roles, UnauthenticatedError, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { AUDIT_READER_ROLES } from '../core/audit-roles.constants';
import { exportEventsQuery, searchEventsQuery, type ExportEventsQuery, type SearchEventsQuery } from './search.dto';
import { SearchService, type TrailPage } from './search.service';
import { trailFieldLevels, type TrailFieldLevels } from './trail-masking.util';

const BEARER = /^Bearer (\S+)$/;

@ApiTags('audit: search')
@Controller('v1/audit/events')
export class SearchController {
  constructor(
    private readonly search: SearchService,
    private readonly policies: PolicyClient,
  ) {}

  /** The reader's levels of the trail's fields, from their policy (fetched with their own token; 503 when it cannot be read). */
  private async levels(req: Request, principal: Principal): Promise<TrailFieldLevels> {
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    return trailFieldLevels(await this.policies.abilityFor(principal, match[1]));
  }

  @Get()
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({
    summary:
      'Search the trail by actor, customer, type, service, time range, IP, correlation id (newest first, cursor paging); IP, user agent, device and login location at the reader\'s policy level',
  })
  async find(
    @Query(new ZodValidationPipe(searchEventsQuery)) query: SearchEventsQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TrailPage> {
    return this.search.search(query, await this.levels(req, principal));
  }

  @Get('export')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'Export a whole search as CSV or JSON (the export is recorded in the audit log)' })
  async export(
    @Query(new ZodValidationPipe(exportEventsQuery)) query: ExportEventsQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const file = await this.search.export(query, await this.levels(req, principal), commandMetadata(req, principal));
    res.setHeader('content-type', file.contentType);
    res.setHeader('content-disposition', `attachment; filename="${file.filename}"`);
    res.setHeader('x-row-count', String(file.rowCount));
    return file.body;
  }
}
