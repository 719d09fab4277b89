import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@warden/security';
import { AUDIT_READER_ROLES } from '../core/audit-roles.constants';
import type { VerificationResult } from './trail-verifier';
import { VerificationService } from './verification.service';

@ApiTags('audit: tamper evidence')
@Controller('v1/audit')
export class VerificationController {
  constructor(private readonly verification: VerificationService) {}

  @Get('verify')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({
    summary:
      'Recheck the whole trail (hash chains, Merkle leaves, roots against every signed checkpoint); names the position of every altered, removed, inserted or reordered event',
  })
  verify(): Promise<VerificationResult> {
    return this.verification.verify();
  }
}
