import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { Authenticated, CurrentPrincipal, PolicyClient, Roles, UnauthenticatedError, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { TraceService, type TraceResult } from '../fingerprint/trace.service';
import { CONTENT_TYPES, DownloadService } from './download.service';
import {
  cancelBody,
  decisionBody,
  downloadQuery,
  exportIdParam,
  listExportsQuery,
  requestExportBody,
  teamPolicyBody,
  traceBody,
  type CancelBody,
  type DecisionBody,
  type ExportView,
  type ListExportsQuery,
  type RequestExportBody,
  type TeamPolicyBody,
  type TraceBody,
} from './export.dto';
import { ExportService } from './export.service';
import type { ApprovalPolicySettings } from './export-policy.util';

const BEARER = /^Bearer (\S+)$/;
const teamIdParam = z.string().min(1).max(200);

@ApiTags('exports')
@Controller('v1/exports')
export class ExportController {
  constructor(
    private readonly exportsService: ExportService,
    private readonly downloads: DownloadService,
    private readonly tracer: TraceService,
    private readonly policies: PolicyClient,
  ) {}

  @Post()
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: "Request an export of customers in the caller's view; runs at once unless the policy needs approval" })
  @ApiBody({ schema: z.toJSONSchema(requestExportBody, { io: 'input' }) as object })
  async request(
    @Body(new ZodValidationPipe(requestExportBody)) body: RequestExportBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExportView> {
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    const policy = await this.policies.abilityFor(principal, match[1]);
    return this.exportsService.request(body, principal, policy, commandMetadata(req, principal));
  }

  @Get()
  @Authenticated()
  @ApiOperation({ summary: "The caller's exports (scope=mine) or those awaiting their decision (scope=approvals)" })
  list(
    @Query(new ZodValidationPipe(listExportsQuery)) query: ListExportsQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExportView[]> {
    return this.exportsService.list(query, principal);
  }

  @Post('trace')
  @Roles('security_officer', 'auditor')
  @HttpCode(200)
  @ApiOperation({ summary: 'Which export a leaked file (content) or some of its rows (rows) came from, with a confidence' })
  trace(@Body(new ZodValidationPipe(traceBody)) body: TraceBody): Promise<TraceResult> {
    return this.tracer.trace(body);
  }

  @Put('policies/:teamId')
  @Roles('security_officer', 'admin')
  @ApiOperation({ summary: "Override a team's approval settings (row threshold, daily quota, which conditions need approval)" })
  setTeamPolicy(
    @Param('teamId', new ZodValidationPipe(teamIdParam)) teamId: string,
    @Body(new ZodValidationPipe(teamPolicyBody)) body: TeamPolicyBody,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApprovalPolicySettings> {
    return this.exportsService.setTeamPolicy(teamId, body, principal);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'An export: status, progress, approver, timestamps (approvers also see the requester history)' })
  get(@Param('id', new ZodValidationPipe(exportIdParam)) id: string, @CurrentPrincipal() principal: Principal): Promise<ExportView> {
    return this.exportsService.get(id, principal);
  }

  @Post(':id/approve')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: "Approve (supervisor up the requester's teams, or security officer; step-up proof for clear fields)" })
  approve(
    @Param('id', new ZodValidationPipe(exportIdParam)) id: string,
    @Body(new ZodValidationPipe(decisionBody)) body: DecisionBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExportView> {
    return this.exportsService.decide(id, 'approve', body, principal, commandMetadata(req, principal));
  }

  @Post(':id/reject')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject an export awaiting approval' })
  reject(
    @Param('id', new ZodValidationPipe(exportIdParam)) id: string,
    @Body(new ZodValidationPipe(decisionBody)) body: DecisionBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExportView> {
    return this.exportsService.decide(id, 'reject', body, principal, commandMetadata(req, principal));
  }

  @Post(':id/cancel')
  @Authenticated()
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel (requester or security officer): stops generation, voids links, deletes the file' })
  cancel(
    @Param('id', new ZodValidationPipe(exportIdParam)) id: string,
    @Body(new ZodValidationPipe(cancelBody)) body: CancelBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ExportView> {
    return this.exportsService.cancel(id, body, principal, commandMetadata(req, principal));
  }

  @Post(':id/download-link')
  @Authenticated()
  @HttpCode(201)
  @ApiOperation({ summary: 'A one-time download token for the requester, valid 15 minutes' })
  link(
    @Param('id', new ZodValidationPipe(exportIdParam)) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ token: string; url: string; expiresAt: string }> {
    return this.downloads.createLink(id, principal);
  }

  @Get(':id/download')
  @Authenticated()
  @ApiOperation({ summary: 'Stream the file once (the requester, with the token); a second use is 410' })
  async download(
    @Param('id', new ZodValidationPipe(exportIdParam)) id: string,
    @Query(new ZodValidationPipe(downloadQuery)) query: { token: string },
    @Req() req: Request,
    @Res() res: Response,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const file = await this.downloads.open(id, query.token, principal, commandMetadata(req, principal));
    res.status(200);
    res.setHeader('content-type', CONTENT_TYPES[file.format] ?? 'application/octet-stream');
    res.setHeader('content-disposition', `attachment; filename="export-${id}.${file.format}"`);
    res.setHeader('cache-control', 'no-store');
    await file.send(res);
  }
}
