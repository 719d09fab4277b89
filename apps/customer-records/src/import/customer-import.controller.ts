import { Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import {
  Authenticated,
  CurrentPrincipal,
  ForbiddenError,
  PolicyClient,
  UnauthenticatedError,
  type Principal,
} from '@warden/security';
import type { Request, Response } from 'express';
import { importFormatOf, importIdParam, type ImportProgress } from './customer-import.dto';
import { CustomerImportError, CustomerImportErrorCode } from './customer-import.exception';
import { CustomerImportService } from './customer-import.service';
import { ImportSpool, SpoolLimitError } from './import-spool.util';

const BEARER = /^Bearer (\S+)$/;

/** The largest upload accepted (about 100k rows with every field, with room to spare). */
export const IMPORT_MAX_BYTES = 256 * 1024 * 1024;

@ApiTags('customers')
@Controller('v1/customers')
export class CustomerImportController {
  constructor(
    private readonly imports: CustomerImportService,
    private readonly policies: PolicyClient,
  ) {}

  @Post('import')
  @Authenticated()
  @HttpCode(202)
  @ApiConsumes('text/csv', 'application/x-ndjson')
  @ApiOperation({
    summary:
      'Bulk import: a CSV with a header row (columns name, company, tags (;-separated), classification, ownerId, teamId, mobile, email, nationalId, address) or JSON lines of POST /v1/customers bodies; runs in the background as the caller → 202 {importId}',
  })
  async import(@Req() req: Request, @CurrentPrincipal() principal: Principal): Promise<{ importId: string }> {
    const format = importFormatOf(req.header('content-type'));
    if (format === null) {
      throw new CustomerImportError(
        CustomerImportErrorCode.UnsupportedMediaType,
        'send the file as text/csv or application/x-ndjson',
      );
    }
    const match = BEARER.exec(req.header('authorization') ?? '');
    if (!match) throw new UnauthenticatedError();
    // The policy first (fail closed, 503 when it cannot be read), then the upload.
    const policy = await this.policies.abilityFor(principal, match[1]);
    if (!policy.can('create', 'Customer')) throw new ForbiddenError('you may not register customers');
    let spool: ImportSpool;
    try {
      spool = await ImportSpool.write(req, IMPORT_MAX_BYTES);
    } catch (error) {
      if (error instanceof SpoolLimitError) {
        throw new CustomerImportError(CustomerImportErrorCode.TooLarge, `the file is larger than ${IMPORT_MAX_BYTES} bytes`);
      }
      throw error;
    }
    return { importId: await this.imports.start(spool, format, policy, commandMetadata(req, principal)) };
  }

  @Get('imports/:id')
  @Authenticated()
  @ApiOperation({ summary: "An import's progress and its first 1,000 row errors (the requester only)" })
  progress(
    @Param('id', new ZodValidationPipe(importIdParam)) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ImportProgress> {
    return this.imports.progress(id, principal.userId);
  }

  @Get('imports/:id/errors.csv')
  @Authenticated()
  @ApiOperation({ summary: "Every row error of an import as CSV (row, field, message; the requester only)" })
  async errors(
    @Param('id', new ZodValidationPipe(importIdParam)) id: string,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    const report = await this.imports.errorReport(id, principal.userId);
    res.status(200).setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="import-${id}-errors.csv"`);
    report.on('error', () => res.destroy());
    report.pipe(res);
  }
}
