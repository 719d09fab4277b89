import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { commandMetadata, ZodValidationPipe } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { CaseView } from './case-view.util';
import {
  cancelOffboardingBody,
  caseIdParam,
  listOffboardingsQuery,
  reportQuery,
  requestOffboardingBody,
  type CancelOffboardingBody,
  type CaseAccepted,
  type CaseSummaryView,
  type ListOffboardingsQuery,
  type ReportQuery,
  type RequestOffboardingBody,
} from './offboarding.dto';
import { OffboardingService } from './offboarding.service';

@ApiTags('offboardings')
@ApiBearerAuth()
@Controller('v1/offboardings')
export class OffboardingController {
  constructor(private readonly cases: OffboardingService) {}

  @Post()
  @Roles('hr', 'admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start offboarding a user (HR, admin): 202 with the case id; the saga runs in the background' })
  @ApiBody({ schema: z.toJSONSchema(requestOffboardingBody, { io: 'input' }) as object })
  request(
    @Body(new ZodValidationPipe(requestOffboardingBody)) body: RequestOffboardingBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseAccepted> {
    return this.cases.request(body, commandMetadata(req, principal));
  }

  @Get()
  @Roles('hr', 'admin')
  @ApiOperation({ summary: 'List offboarding cases (HR, admin), filtered by status or user; newest first' })
  @ApiQuery({ name: 'status', required: false, enum: ['scheduled', 'in_progress', 'needs_attention', 'completed', 'cancelled'] })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  list(
    @Query(new ZodValidationPipe(listOffboardingsQuery)) query: ListOffboardingsQuery,
  ): Promise<{ items: CaseSummaryView[]; nextCursor: string | null }> {
    return this.cases.list(query);
  }

  @Get(':id')
  @Roles('hr', 'admin')
  @ApiOperation({ summary: 'A case with every step: status, counts, timestamps, errors (HR, admin)' })
  get(@Param('id', new ZodValidationPipe(caseIdParam)) id: string): Promise<CaseView> {
    return this.cases.get(id);
  }

  @Post(':id/cancel')
  @Roles('hr', 'admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a case before it takes effect (HR, admin); 409 after' })
  @ApiBody({ schema: z.toJSONSchema(cancelOffboardingBody, { io: 'input' }) as object })
  cancel(
    @Param('id', new ZodValidationPipe(caseIdParam)) id: string,
    @Body(new ZodValidationPipe(cancelOffboardingBody)) body: CancelOffboardingBody,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseView> {
    return this.cases.cancel(id, body, commandMetadata(req, principal));
  }

  @Post(':id/retry')
  @Roles('hr', 'admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retry the step of a case that needs attention (HR, admin); 409 otherwise' })
  retry(
    @Param('id', new ZodValidationPipe(caseIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseView> {
    return this.cases.retry(id, commandMetadata(req, principal));
  }

  @Get(':id/report')
  @Roles('hr', 'admin', 'security_officer')
  @ApiOperation({ summary: "The leaver's activity report: JSON, CSV or a readable HTML page (HR, admin, security officer)" })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv', 'html'] })
  async report(
    @Param('id', new ZodValidationPipe(caseIdParam)) id: string,
    @Query(new ZodValidationPipe(reportQuery)) query: ReportQuery,
    @Res() res: Response,
  ): Promise<void> {
    const { contentType, body } = await this.cases.report(id, query);
    res.status(200).set('content-type', contentType).set('x-content-type-options', 'nosniff');
    if (query.format === 'csv') res.set('content-disposition', `attachment; filename="leaver-report-${id}.csv"`);
    if (query.format === 'html') res.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.send(body);
  }
}
