import type { CustomerRegisteredData } from '@warden/contracts';

/**
 * The service encrypts and indexes the sensitive fields before deciding: the command already
 * carries ciphertexts and blind indexes, so the decider stays pure.
 */
export type RegisterCustomer = {
  type: 'RegisterCustomer';
  data: CustomerRegisteredData;
};

export type CustomerCommand = RegisterCustomer;
