import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandMetadata, RequestValidationError, ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AUDIT_READER_ROLES } from '../core/audit-roles.constants';
import { parsePeriod } from './report-period.util';
import { renderReportCsv, renderReportHtml } from './report-render.util';
import { ReportService } from './report.service';

const reportQuery = z.strictObject({ format: z.enum(['html', 'json', 'csv']).default('json') });
type ReportQuery = z.infer<typeof reportQuery>;

@ApiTags('audit: reports')
@Controller('v1/audit/reports')
export class ReportController {
  constructor(private readonly reports: ReportService) {}

  @Get(':period')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'The report of a month (2026-11) or quarter (2026-Q4), as json, printable html with SVG charts, or csv' })
  async report(
    @Param('period') periodId: string,
    @Query(new ZodValidationPipe(reportQuery)) query: ReportQuery,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const period = parsePeriod(periodId);
    if (!period) throw new RequestValidationError(['param.period: must be a month (2026-11) or a quarter (2026-Q4)']);
    const report = await this.reports.onDemand(period, query.format, commandMetadata(req, principal));
    if (query.format === 'html') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return renderReportHtml(report);
    }
    if (query.format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="audit-report-${period.id}.csv"`);
      return renderReportCsv(report);
    }
    res.setHeader('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(report);
  }
}
