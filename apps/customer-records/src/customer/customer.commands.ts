import type { Classification } from '@warden/contracts';

export type RegisterCustomer = {
  type: 'RegisterCustomer';
  data: {
    customerId: string;
    name: string;
    company: string | null;
    tags: string[];
    classification: Classification;
    ownerId: string | null;
    teamId: string | null;
  };
};

export type CustomerCommand = RegisterCustomer;
