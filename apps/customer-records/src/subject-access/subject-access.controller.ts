import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe, commandMetadata } from '@warden/platform';
import { CurrentPrincipal, Roles, type Principal } from '@warden/security';
import type { Request } from 'express';
import { customerIdParam } from '../customer/customer.dto';
import { SubjectAccessService, type SubjectAccessReport } from './subject-access.service';

@ApiTags('customers')
@Controller('v1/customers/:id/subject-access')
export class SubjectAccessController {
  constructor(private readonly subjectAccess: SubjectAccessService) {}

  @Get()
  @Roles('admin', 'security_officer')
  @ApiOperation({
    summary:
      'Everything held about a customer, in clear (PIPL/GDPR access request); audited as SubjectAccessProvided; 410 after erasure',
  })
  async report(
    @Param('id', new ZodValidationPipe(customerIdParam)) id: string,
    @Req() req: Request,
    @CurrentPrincipal() principal: Principal,
  ): Promise<SubjectAccessReport> {
    return this.subjectAccess.report(id, commandMetadata(req, principal));
  }
}
