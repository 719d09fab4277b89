import type { Classification, CustomerEvent, CustomerSensitiveFields, CustomerUpdatedData } from '@warden/contracts';
import { StreamVersionConflict } from '@warden/event-store';
import type { CustomerCommand } from './customer.commands';
import { CustomerError, CustomerErrorCode } from './customer.exception';

/** A purpose's current consent: granted or withdrawn, under which template version. */
export type CustomerConsent = { granted: boolean; templateVersion: string };

/** A registered, not erased customer. `version` is its stream version (the `If-Match` of updates). */
export type LiveCustomer = {
  status: 'active' | 'archived';
  id: string;
  version: number;
  tags: string[];
  classification: Classification;
  ownerId: string | null;
  teamId: string | null;
  /** Ciphertexts (and blind indexes) only, name and company included for registrations since v3. */
  sensitive: CustomerSensitiveFields;
  /** A registration written before v3 carried its name (and company) in clear. */
  legacyName?: string;
  legacyCompany?: string | null;
  consents: Readonly<Record<string, CustomerConsent>>;
  /** The users it is shared with, in the order shared. */
  sharedWith: readonly string[];
};

/** Shares per customer at most: a share is a deliberate, reviewed act, not a distribution list. */
export const MAX_SHARES_PER_CUSTOMER = 50;

export type CustomerState =
  | { status: 'unregistered'; version: 0 }
  | LiveCustomer
  /** Erased: nothing of the customer but its id is kept (its data key is shredded too). */
  | { status: 'erased'; id: string; version: number };

export const initialCustomerState: CustomerState = { status: 'unregistered', version: 0 };

type SensitiveKey = keyof NonNullable<CustomerUpdatedData['sensitive']>;

/** The customer, when it exists and is not erased (404 / 410 otherwise). */
function live(state: CustomerState, customerId: string): LiveCustomer {
  if (state.status === 'unregistered') {
    throw new CustomerError(CustomerErrorCode.NotFound, `customer ${customerId} not found`);
  }
  if (state.status === 'erased') {
    throw new CustomerError(CustomerErrorCode.Erased, `customer ${customerId} has been erased`);
  }
  return state;
}

/** The customer, when it may still change (archived customers are read-only: 409). */
function changeable(state: CustomerState, customerId: string): LiveCustomer {
  const customer = live(state, customerId);
  if (customer.status === 'archived') {
    throw new CustomerError(CustomerErrorCode.Archived, `customer ${customerId} is archived`);
  }
  return customer;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((value, i) => value === b[i]);

/** Only what differs from the state; `null` for a sensitive field the customer does not have is no change. */
function changesOf(data: CustomerUpdatedData, customer: LiveCustomer): CustomerUpdatedData | null {
  const changes: CustomerUpdatedData = { customerId: data.customerId };
  if (data.tags !== undefined && !sameList(data.tags, customer.tags)) changes.tags = [...data.tags];
  if (data.classification !== undefined && data.classification !== customer.classification) {
    changes.classification = data.classification;
  }
  if (data.ownerId !== undefined && data.ownerId !== customer.ownerId) changes.ownerId = data.ownerId;
  if (data.teamId !== undefined && data.teamId !== customer.teamId) changes.teamId = data.teamId;
  const sensitive: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data.sensitive ?? {}) as Array<[SensitiveKey, { ciphertext: string } | null]>) {
    if (value === undefined) continue;
    if (value === null && customer.sensitive[field] === undefined && !(field === 'company' && customer.legacyCompany)) {
      continue;
    }
    sensitive[field] = value === null ? null : { ...value };
  }
  if (Object.keys(sensitive).length) changes.sensitive = sensitive as CustomerUpdatedData['sensitive'];
  return Object.keys(changes).length > 1 ? changes : null;
}

/** Pure: what a command on a customer produces, given the customer's state. */
export function decide(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  switch (command.type) {
    case 'RegisterCustomer': {
      if (state.status !== 'unregistered') {
        throw new CustomerError(CustomerErrorCode.AlreadyRegistered, `customer ${command.data.customerId} already exists`);
      }
      return [{ type: 'CustomerRegistered', data: { ...command.data, tags: [...command.data.tags], sensitive: copySensitive(command.data.sensitive) } }];
    }
    case 'UpdateCustomer': {
      const { expectedVersion, ...data } = command.data;
      const customer = changeable(state, data.customerId);
      if (expectedVersion !== customer.version) {
        throw new StreamVersionConflict(`customer-${data.customerId}`, expectedVersion, customer.version);
      }
      const changes = changesOf(data, customer);
      return changes ? [{ type: 'CustomerUpdated', data: changes }] : [];
    }
    case 'ArchiveCustomer': {
      changeable(state, command.data.customerId);
      return [{ type: 'CustomerArchived', data: { ...command.data } }];
    }
    case 'AddCustomerNote': {
      changeable(state, command.data.customerId);
      return [{ type: 'CustomerNoteAdded', data: { ...command.data, body: { ...command.data.body } } }];
    }
    case 'RecordCustomerTransaction': {
      changeable(state, command.data.customerId);
      return [{ type: 'CustomerTransactionRecorded', data: { ...command.data } }];
    }
    case 'RecordConsent': {
      // Consents stay recordable on an archived customer: a withdrawal must always be possible.
      const { granted, ...data } = command.data;
      const current = live(state, data.customerId).consents[data.purpose];
      if (granted) {
        if (current?.granted && current.templateVersion === data.templateVersion) return [];
        return [{ type: 'ConsentGranted', data }];
      }
      if (!current?.granted) {
        throw new CustomerError(
          CustomerErrorCode.ConsentNotGranted,
          `customer ${data.customerId} has no consent for ${data.purpose} to withdraw`,
        );
      }
      return [{ type: 'ConsentWithdrawn', data }];
    }
    case 'ChangeCustomerOwner': {
      // Archived customers change hands too: an offboarded owner must keep none.
      const customer = live(state, command.data.customerId);
      if (customer.ownerId === command.data.toOwnerId) return [];
      return [{ type: 'CustomerOwnerChanged', data: { ...command.data, fromOwnerId: customer.ownerId } }];
    }
    case 'ShareCustomer': {
      const customer = changeable(state, command.data.customerId);
      if (customer.sharedWith.includes(command.data.userId)) return [];
      if (customer.ownerId === command.data.userId) {
        throw new CustomerError(
          CustomerErrorCode.OwnedByUser,
          `customer ${command.data.customerId} belongs to ${command.data.userId}: there is nothing to share`,
        );
      }
      if (customer.sharedWith.length >= MAX_SHARES_PER_CUSTOMER) {
        throw new CustomerError(
          CustomerErrorCode.TooManyShares,
          `customer ${command.data.customerId} is already shared with ${MAX_SHARES_PER_CUSTOMER} users; end a share first`,
        );
      }
      return [{ type: 'CustomerShared', data: { ...command.data } }];
    }
    case 'UnshareCustomer': {
      // A share can always end, on an archived customer too.
      const customer = live(state, command.data.customerId);
      if (!customer.sharedWith.includes(command.data.userId)) {
        throw new CustomerError(
          CustomerErrorCode.ShareNotFound,
          `customer ${command.data.customerId} is not shared with ${command.data.userId}`,
        );
      }
      return [{ type: 'CustomerUnshared', data: { ...command.data } }];
    }
    case 'EraseCustomer': {
      live(state, command.data.customerId);
      return [{ type: 'CustomerErased', data: { ...command.data } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unhandled command ${(unknown as CustomerCommand).type}`);
    }
  }
}

/** A copy that shares no object with the command (the event must not change with it). */
function copySensitive<T extends CustomerSensitiveFields>(sensitive: T): T {
  return Object.fromEntries(Object.entries(sensitive).map(([field, value]) => [field, { ...value }])) as T;
}

/** Pure: the customer's state after an event. */
export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  const version = state.version + 1;
  switch (event.type) {
    case 'CustomerRegistered': {
      const { customerId, sensitive, name, company, ...rest } = event.data;
      const registered: LiveCustomer = {
        status: 'active',
        id: customerId,
        version,
        ...rest,
        sensitive: copySensitive(sensitive),
        consents: {},
        sharedWith: [],
      };
      if (name !== undefined) registered.legacyName = name;
      if (company !== undefined) registered.legacyCompany = company;
      return registered;
    }
    case 'CustomerUpdated': {
      const customer = live(state, event.data.customerId);
      const { customerId: _id, sensitive: changed, ...plain } = event.data;
      const sensitive: Record<string, unknown> = { ...customer.sensitive };
      const next: LiveCustomer = { ...customer, ...plain, version };
      for (const [field, value] of Object.entries(changed ?? {})) {
        if (value === undefined) continue;
        if (value === null) delete sensitive[field];
        else sensitive[field] = { ...value };
        if (field === 'name') delete next.legacyName;
        if (field === 'company') delete next.legacyCompany;
      }
      next.sensitive = sensitive as CustomerSensitiveFields;
      return next;
    }
    case 'CustomerArchived':
      return { ...live(state, event.data.customerId), status: 'archived', version };
    case 'CustomerNoteAdded':
    case 'CustomerTransactionRecorded':
      return { ...live(state, event.data.customerId), version };
    case 'ConsentGranted':
    case 'ConsentWithdrawn': {
      const customer = live(state, event.data.customerId);
      const consent: CustomerConsent = { granted: event.type === 'ConsentGranted', templateVersion: event.data.templateVersion };
      return { ...customer, version, consents: { ...customer.consents, [event.data.purpose]: consent } };
    }
    case 'CustomerOwnerChanged':
      return { ...live(state, event.data.customerId), ownerId: event.data.toOwnerId, version };
    case 'CustomerShared': {
      const customer = live(state, event.data.customerId);
      return { ...customer, version, sharedWith: [...customer.sharedWith, event.data.userId] };
    }
    case 'CustomerUnshared': {
      const customer = live(state, event.data.customerId);
      return { ...customer, version, sharedWith: customer.sharedWith.filter((userId) => userId !== event.data.userId) };
    }
    case 'CustomerErased':
      return { status: 'erased', id: event.data.customerId, version };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled event ${(unknown as CustomerEvent).type}`);
    }
  }
}
