import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AlertStreamService } from '../delivery/alert-stream.service';
import { AlertQueryService, type AlertView, type EvidenceView } from './alert-query.service';
import { alertIdParam, alertListQuery, resolveAlertBody, type AlertListQuery, type ResolveAlertBody } from './alert.dto';
import { AlertService } from './alert.service';

const READERS = ['security_officer', 'admin', 'auditor'];
const HANDLERS = ['security_officer', 'admin'];

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertController {
  constructor(
    private readonly alerts: AlertService,
    private readonly queries: AlertQueryService,
    private readonly stream: AlertStreamService,
  ) {}

  @Get()
  @Roles(...READERS)
  @ApiOperation({ summary: 'Alerts, newest first; filters status, severity, rule (comma-separated), userId, from/to; cursor paging' })
  list(@Query(new ZodValidationPipe(alertListQuery)) query: AlertListQuery): Promise<{ items: AlertView[]; nextCursor: string | null }> {
    return this.queries.list(query);
  }

  @Get('stream')
  @Roles(...READERS)
  @ApiOperation({
    summary: 'Server-Sent Events of alert events (AlertRaised, AlertUpdated, AlertAcknowledged, AlertResolved, AlertResponseTaken); resumable with Last-Event-ID',
  })
  async live(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.stream.serve(req, res);
  }

  @Get(':id')
  @Roles(...READERS)
  @ApiOperation({ summary: 'One alert with its evidence events resolved' })
  get(@Param('id', new ZodValidationPipe(alertIdParam)) id: string): Promise<AlertView & { evidenceEvents: EvidenceView[] }> {
    return this.queries.get(id);
  }

  @Post(':id/acknowledge')
  @Roles(...HANDLERS)
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge an open alert (repeats keep updating it)' })
  async acknowledge(
    @Param('id', new ZodValidationPipe(alertIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AlertView> {
    await this.alerts.handle(id, { type: 'AcknowledgeAlert', by: principal.userId }, commandMetadata(req, principal));
    return this.queries.get(id);
  }

  @Post(':id/resolve')
  @Roles(...HANDLERS)
  @HttpCode(200)
  @ApiOperation({ summary: 'Resolve an alert; as false_positive, its automated responses are undone' })
  @ApiBody({ schema: z.toJSONSchema(resolveAlertBody, { io: 'input' }) as object })
  async resolve(
    @Param('id', new ZodValidationPipe(alertIdParam)) id: string,
    @Body(new ZodValidationPipe(resolveAlertBody)) body: ResolveAlertBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AlertView> {
    await this.alerts.handle(
      id,
      { type: 'ResolveAlert', by: principal.userId, resolution: body.resolution, comment: body.comment },
      commandMetadata(req, principal),
    );
    return this.queries.get(id);
  }
}
