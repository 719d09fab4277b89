import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@warden/platform';
import { Roles, ServicePrincipals } from '@warden/security';
import { AUDIT_READER_ROLES } from '../core/audit-roles.constants';
import {
  activityQuery,
  customerAccessQuery,
  userIdParam,
  type ActivityQuery,
  type CustomerAccessQuery,
} from '../search/search.dto';
import { ActivityService, type CustomerAccess, type UserActivity } from './activity.service';

@ApiTags('audit: search')
@Controller('v1/audit')
export class ActivityController {
  constructor(private readonly activity: ActivityService) {}

  @Get('users/:id/activity')
  @Roles(...AUDIT_READER_ROLES)
  @ServicePrincipals('offboarding')
  @ApiOperation({
    summary:
      "A user's timeline and summary over the last `days` (logins with ip/device/geo, customers viewed, reveals, exports, downloads, alerts); also open to system:offboarding",
  })
  user(
    @Param('id', new ZodValidationPipe(userIdParam)) id: string,
    @Query(new ZodValidationPipe(activityQuery)) query: ActivityQuery,
  ): Promise<UserActivity> {
    return this.activity.userActivity(id, query.days);
  }

  @Get('customers/:id/access')
  @Roles(...AUDIT_READER_ROLES)
  @ApiOperation({ summary: 'Who viewed, revealed, listed, searched or exported a customer (for subject access requests)' })
  customer(
    @Param('id', new ZodValidationPipe(userIdParam)) id: string,
    @Query(new ZodValidationPipe(customerAccessQuery)) query: CustomerAccessQuery,
  ): Promise<CustomerAccess> {
    return this.activity.customerAccess(id, query);
  }
}
