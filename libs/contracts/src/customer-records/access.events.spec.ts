import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { eventRegistry } from '../index';
import { systemActor } from '../lib/envelope';
import { GENESIS_HASH, hashEvent } from '../lib/hash-chain';
import { ContractViolation } from '../lib/registry';
import { accessDeniedStreamId, accessEventSpecs, accessStreamId, isAccessStream, MAX_STREAMED_CUSTOMER_IDS, type CustomerRowsStreamedData } from './access.events';

const rows = (count: number): CustomerRowsStreamedData => ({
  readerId: 'system:exports',
  onBehalfOf: uuidv4(),
  purposeId: uuidv7(),
  offset: 2000,
  customerIds: Array.from({ length: count }, () => uuidv4()),
  fieldsInClear: ['mobile'],
});

describe('CustomerRowsStreamed', () => {
  it('is a registered access event at version 1', () => {
    expect(accessEventSpecs.map((spec) => spec.type)).toContain('CustomerRowsStreamed');
    expect(eventRegistry.latestVersion('CustomerRowsStreamed')).toBe(1);
  });

  it(`names up to ${MAX_STREAMED_CUSTOMER_IDS} customers, with the export and the user it was for`, () => {
    const data = rows(MAX_STREAMED_CUSTOMER_IDS);
    expect(eventRegistry.validateData('CustomerRowsStreamed', data)).toEqual(data);
  });

  it('refuses more ids than that, none at all, a non-UUID id or a negative offset, naming the field', () => {
    expect(() => eventRegistry.validateData('CustomerRowsStreamed', rows(MAX_STREAMED_CUSTOMER_IDS + 1))).toThrow(/customerIds/);
    expect(() => eventRegistry.validateData('CustomerRowsStreamed', rows(0))).toThrow(/customerIds/);
    expect(() => eventRegistry.validateData('CustomerRowsStreamed', { ...rows(1), customerIds: ['+86 138-0013-8000'] })).toThrow(/customerIds\.0/);
    expect(() => eventRegistry.validateData('CustomerRowsStreamed', { ...rows(1), offset: -1 })).toThrow(ContractViolation);
    expect(() => eventRegistry.validateData('CustomerRowsStreamed', { ...rows(1), mobile: '+86 138-0013-8000' })).toThrow(/mobile/);
  });

  it('decodes from a sealed envelope on the reader’s access stream', () => {
    const data = rows(3);
    const unsealed = {
      eventId: uuidv7(),
      type: 'CustomerRowsStreamed',
      schemaVersion: 1,
      streamId: accessStreamId('system:exports'),
      streamVersion: 1,
      occurredAt: '2026-11-29T10:00:00.000Z',
      actor: systemActor('exports'),
      correlationId: uuidv7(),
      causationId: null,
      data,
    };
    const envelope = { ...unsealed, globalPosition: 7, prevHash: GENESIS_HASH, hash: hashEvent(GENESIS_HASH, unsealed) };
    expect(eventRegistry.decode(envelope).data).toEqual(data);
  });
});

describe('accessDeniedStreamId', () => {
  it('is the reader’s access stream in customer-records and a stream of its own in every other service', () => {
    const userId = '01a22752-47be-73cc-b869-c49c48dc480d';
    expect(accessDeniedStreamId('customer-records', userId)).toBe(accessStreamId(userId));
    const others = ['authorization', 'exports', 'offboarding', 'anomaly-alerting', 'audit'].map((s) => accessDeniedStreamId(s, userId));
    expect(new Set([accessStreamId(userId), ...others]).size).toBe(6);
    for (const id of others) expect(isAccessStream(id)).toBe(true);
  });
});
