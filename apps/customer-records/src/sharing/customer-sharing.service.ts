import { Injectable } from '@nestjs/common';
import type { CommandMetadata } from '@warden/event-store';
import { ForbiddenError, type Policy } from '@warden/security';
import { customerResourceOf, type CustomerRow } from '../customer/customer-query.service';
import { CustomerService } from '../customer/customer.service';
import type { CustomerShares, ShareCustomerBody, UnshareCustomerBody } from './customer-sharing.dto';

/**
 * Sharing a customer with a user outside its owner's team (a partner, typically): the user then
 * sees it as far as their role's `sharedWithMe` permissions allow (masked for the default partner
 * role). Managing shares takes the right to update the customer; a share is an event in the trail.
 */
@Injectable()
export class CustomerSharingService {
  constructor(private readonly customers: CustomerService) {}

  /** The customer's shares, for those who may update it (404 outside the caller's view, 403 otherwise). */
  async list(customerId: string, policy: Policy): Promise<CustomerShares> {
    const row = await this.managedRow(customerId, policy, 'you may not see the shares of this customer');
    return { customerId, sharedWith: row.shared_with, version: row.version };
  }

  async share(customerId: string, body: ShareCustomerBody, metadata: CommandMetadata, policy: Policy): Promise<CustomerShares> {
    await this.managedRow(customerId, policy, 'you may not share this customer');
    await this.customers.appendToCustomer(
      customerId,
      { type: 'ShareCustomer', data: { customerId, userId: body.userId, reason: body.reason } },
      metadata,
    );
    return this.list(customerId, policy);
  }

  async unshare(
    customerId: string,
    userId: string,
    body: UnshareCustomerBody,
    metadata: CommandMetadata,
    policy: Policy,
  ): Promise<CustomerShares> {
    await this.managedRow(customerId, policy, 'you may not change the shares of this customer');
    await this.customers.appendToCustomer(
      customerId,
      { type: 'UnshareCustomer', data: { customerId, userId, reason: body.reason ?? null } },
      metadata,
    );
    return this.list(customerId, policy);
  }

  private async managedRow(customerId: string, policy: Policy, refusal: string): Promise<CustomerRow> {
    const row = await this.customers.requireVisibleRow(customerId, policy);
    if (!policy.can('update', 'Customer', customerResourceOf(row))) throw new ForbiddenError(refusal);
    return row;
  }
}
