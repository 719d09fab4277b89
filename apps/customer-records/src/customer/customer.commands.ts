import type {
  ConsentChangedData,
  CustomerArchivedData,
  CustomerErasedData,
  CustomerNoteAddedData,
  CustomerOwnerChangedData,
  CustomerSharedData,
  CustomerUnsharedData,
  CustomerTransactionRecordedData,
  CustomerUpdatedData,
  NewCustomerRegisteredData,
} from '@warden/contracts';

/**
 * The service encrypts and indexes the sensitive fields (and name, company, note bodies) before
 * deciding: commands already carry ciphertexts and blind indexes, so the decider stays pure.
 */
export type RegisterCustomer = {
  type: 'RegisterCustomer';
  data: NewCustomerRegisteredData;
};

/**
 * Changes the fields given, if the stream is still at `expectedVersion` (the client's `If-Match`).
 * The service passes only sensitive fields whose value differs from the stored one (it compares
 * decrypted values: ciphertexts are randomised); the decider drops plain fields that are unchanged.
 */
export type UpdateCustomer = {
  type: 'UpdateCustomer';
  data: CustomerUpdatedData & { expectedVersion: number };
};

export type ArchiveCustomer = { type: 'ArchiveCustomer'; data: CustomerArchivedData };

export type AddCustomerNote = { type: 'AddCustomerNote'; data: CustomerNoteAddedData };

export type RecordCustomerTransaction = { type: 'RecordCustomerTransaction'; data: CustomerTransactionRecordedData };

/** Records a consent given (`granted: true`) or withdrawn (`granted: false`) for one purpose. */
export type RecordConsent = { type: 'RecordConsent'; data: ConsentChangedData & { granted: boolean } };

/** Gives the customer to another owner (ownership transfer); `fromOwnerId` is taken from the state. */
export type ChangeCustomerOwner = {
  type: 'ChangeCustomerOwner';
  data: Omit<CustomerOwnerChangedData, 'fromOwnerId'>;
};

/** Shares the customer with one more user (a partner, typically); sharing it again changes nothing. */
export type ShareCustomer = { type: 'ShareCustomer'; data: CustomerSharedData };

/** Ends a share (404 when the customer is not shared with that user). */
export type UnshareCustomer = { type: 'UnshareCustomer'; data: CustomerUnsharedData };

/** Erases a customer's personal data (the service crypto-shreds its data key after the append). */
export type EraseCustomer = {
  type: 'EraseCustomer';
  data: CustomerErasedData;
};

export type CustomerCommand =
  | RegisterCustomer
  | UpdateCustomer
  | ArchiveCustomer
  | AddCustomerNote
  | RecordCustomerTransaction
  | RecordConsent
  | ChangeCustomerOwner
  | ShareCustomer
  | UnshareCustomer
  | EraseCustomer;
