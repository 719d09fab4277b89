import type { CustomerErasedData, CustomerRegisteredData } from '@warden/contracts';

/**
 * The service encrypts and indexes the sensitive fields before deciding: the command already
 * carries ciphertexts and blind indexes, so the decider stays pure.
 */
export type RegisterCustomer = {
  type: 'RegisterCustomer';
  data: CustomerRegisteredData;
};

/** Erases a customer's personal data (the service crypto-shreds its data key after the append). */
export type EraseCustomer = {
  type: 'EraseCustomer';
  data: CustomerErasedData;
};

export type CustomerCommand = RegisterCustomer | EraseCustomer;
