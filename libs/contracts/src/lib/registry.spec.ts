import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { eventRegistry } from '../index';
import { systemActor, type EventEnvelope } from './envelope';
import { GENESIS_HASH, hashEvent } from './hash-chain';
import { ContractViolation, EventRegistry } from './registry';

/** A valid, hashed envelope of `type` with `data`; override any field. */
function envelope(
  type: string,
  data: Record<string, unknown>,
  overrides: Partial<EventEnvelope> = {},
): EventEnvelope {
  const unsealed = {
    eventId: uuidv7(),
    type,
    schemaVersion: 1,
    streamId: `stream-${uuidv7()}`,
    streamVersion: 1,
    occurredAt: '2025-03-04T05:06:07.000Z',
    actor: systemActor('registry-spec'),
    correlationId: uuidv7(),
    causationId: null,
    data,
    ...overrides,
  };
  return {
    ...unsealed,
    globalPosition: 1,
    prevHash: GENESIS_HASH,
    hash: hashEvent(GENESIS_HASH, unsealed),
    ...overrides,
  };
}

const customerData = () => ({
  customerId: uuidv4(),
  name: 'Ada Lovelace',
  company: 'Analytical Engines Ltd',
  tags: ['vip'],
  classification: 'confidential',
  ownerId: 'user-1',
  teamId: null,
});

/** CustomerRegistered data at its latest version (3: name and company encrypted, no other sensitive field here). */
const latestCustomerData = () => {
  const { name: _name, company: _company, ...rest } = customerData();
  return { ...rest, sensitive: { name: { ciphertext: 'v1.AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB' } } };
};

/** CustomerRegistered at its latest version. */
const customerRegistered = (overrides: Partial<EventEnvelope> = {}) =>
  envelope('CustomerRegistered', latestCustomerData(), { schemaVersion: 3, ...overrides });

/** The ContractViolation `run` throws; fails the test if it throws nothing or something else. */
function violation(run: () => unknown): ContractViolation {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolation);
    return error as ContractViolation;
  }
  throw new Error('expected a ContractViolation, nothing was thrown');
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

describe('EventRegistry', () => {
  describe('decode', () => {
    it('accepts a valid envelope and returns it unchanged', () => {
      const event = customerRegistered();
      expect(eventRegistry.decode(structuredClone(event))).toEqual(event);
    });

    it('accepts a valid envelope from a Kafka message value', () => {
      const event = customerRegistered();
      expect(eventRegistry.decodeBuffer(json(event))).toEqual(event);
    });

    it('reports a violation as a 400 with the code CONTRACT_VIOLATION', () => {
      const error = violation(() => eventRegistry.decode({}));
      expect(error).toMatchObject({ status: 400, code: 'CONTRACT_VIOLATION' });
      expect(error.message).toMatch(/^invalid event envelope: /);
    });

    it('refuses a message that is not JSON, saying where parsing stopped', () => {
      const error = violation(() =>
        eventRegistry.decodeBuffer(Buffer.from('{"eventId": "x", nope}', 'utf8')),
      );
      expect(error.message).toMatch(/^message is not JSON/);
      expect(error.issues).toEqual(['(root): not valid JSON (at position 17)']);
    });

    it('does not repeat the content of a message that is not JSON', () => {
      for (const raw of [
        'password=hunter2-secret',
        'hunter2-secret and more text after it',
        '{"email": "ada@example.com"',
      ]) {
        const error = violation(() => eventRegistry.decodeBuffer(Buffer.from(raw, 'utf8')));
        expect(error.issues).toEqual([expect.stringMatching(/^\(root\): not valid JSON/)]);
        expect(error.message).not.toMatch(/hunter2|ada@example/);
      }
    });

    it('refuses an empty message and a message without a value', () => {
      for (const value of [Buffer.alloc(0), null]) {
        const error = violation(() => eventRegistry.decodeBuffer(value));
        expect(error.message).toMatch(/^empty message/);
        expect(error.issues).toEqual(['(root): no value']);
      }
    });

    it('refuses JSON that is not an object', () => {
      const error = violation(() => eventRegistry.decodeBuffer(json([1, 2, 3])));
      expect(error.issues).toEqual([expect.stringMatching(/^\(root\): /)]);
    });

    it('names every missing envelope field', () => {
      const { eventId: _eventId, actor: _actor, hash: _hash, ...incomplete } = customerRegistered();
      const error = violation(() => eventRegistry.decode(incomplete));
      expect(error.issues).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^eventId: /),
          expect.stringMatching(/^actor: /),
          expect.stringMatching(/^hash: /),
        ]),
      );
      expect(error.issues).toHaveLength(3);
    });

    it('names a missing field of the actor by its path', () => {
      const { userId: _userId, ...actor } = systemActor('x');
      const error = violation(() => eventRegistry.decode({ ...customerRegistered(), actor }));
      expect(error.issues).toEqual([expect.stringMatching(/^actor\.userId: /)]);
    });

    it('refuses an unknown envelope field and names it', () => {
      const error = violation(() => eventRegistry.decode({ ...customerRegistered(), tenantId: 't-1' }));
      expect(error.issues).toEqual([expect.stringContaining('tenantId')]);
    });

    it('refuses an eventId that is not a UUIDv7', () => {
      for (const eventId of [uuidv4(), 'not-a-uuid']) {
        const error = violation(() => eventRegistry.decode(customerRegistered({ eventId })));
        expect(error.issues).toEqual(['eventId: must be a UUIDv7']);
      }
    });

    it('refuses malformed hashes, positions and timestamps, naming each field', () => {
      const error = violation(() =>
        eventRegistry.decode({
          ...customerRegistered(),
          prevHash: 'ABC',
          globalPosition: 0,
          streamVersion: 1.5,
          occurredAt: 'yesterday',
        }),
      );
      expect(error.issues.map((issue) => issue.split(':')[0]).sort()).toEqual(
        ['globalPosition', 'occurredAt', 'prevHash', 'streamVersion'].sort(),
      );
    });

    describe('when the event type is not registered', () => {
      const unknown = () => envelope('CustomerTeleported', { to: 'Mars' });

      it('refuses it, naming the type', () => {
        const error = violation(() => eventRegistry.decode(unknown()));
        expect(error.message).toMatch(/^unknown event type/);
        expect(error.issues).toEqual(['type: CustomerTeleported is not registered']);
      });

      it('accepts it unchanged with allowUnknownTypes, the envelope still checked', () => {
        const event = unknown();
        expect(eventRegistry.decode(event, { allowUnknownTypes: true })).toEqual(event);
        const error = violation(() =>
          eventRegistry.decode({ ...event, eventId: 'nope' }, { allowUnknownTypes: true }),
        );
        expect(error.issues).toEqual(['eventId: must be a UUIDv7']);
      });
    });

    it('refuses a schema version the type does not have', () => {
      const error = violation(() => eventRegistry.decode(customerRegistered({ schemaVersion: 7 })));
      expect(error.message).toMatch(/^unknown schema version/);
      expect(error.issues).toEqual(['schemaVersion: CustomerRegistered has no version 7']);
    });

    it('refuses data that breaks the schema of its version, naming each field', () => {
      const data = { ...customerData(), classification: 'top-secret', tags: 'vip' };
      const error = violation(() => eventRegistry.decode(envelope('CustomerRegistered', data)));
      expect(error.message).toMatch(/^invalid CustomerRegistered v1 data/);
      expect(error.issues).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^classification: /),
          expect.stringMatching(/^tags: /),
        ]),
      );
    });

    it('refuses data with a field its schema does not define', () => {
      const data = { ...customerData(), nationalId: '123-45-6789' };
      const error = violation(() => eventRegistry.decode(envelope('CustomerRegistered', data)));
      expect(error.issues).toEqual([expect.stringContaining('nationalId')]);
    });

    it('refuses data missing a required field', () => {
      const { name: _name, ...data } = customerData();
      const error = violation(() => eventRegistry.decode(envelope('CustomerRegistered', data)));
      expect(error.issues).toEqual([expect.stringMatching(/^name: /)]);
    });
  });

  describe('with a type that has two schema versions', () => {
    const widgetV1 = z.strictObject({ widgetId: z.string(), size: z.number() });
    const widgetV2 = z.strictObject({
      widgetId: z.string(),
      dimensions: z.object({ width: z.number() }),
      colour: z.string(),
    });
    const registry = new EventRegistry().register({
      type: 'WidgetCreated',
      versions: { 1: widgetV1, 2: widgetV2 },
      upcast: {
        1: (data) => ({ widgetId: data.widgetId, dimensions: { width: data.size }, colour: 'unpainted' }),
      },
    });

    it('knows the latest version', () => {
      expect(registry.latestVersion('WidgetCreated')).toBe(2);
    });

    it('upcasts a version 1 event to the version 2 shape, reporting schemaVersion 2', () => {
      const event = envelope('WidgetCreated', { widgetId: 'w-1', size: 3 });
      const decoded = registry.decode(event);
      expect(decoded.schemaVersion).toBe(2);
      expect(decoded.data).toEqual({ widgetId: 'w-1', dimensions: { width: 3 }, colour: 'unpainted' });
      expect(widgetV2.safeParse(decoded.data).success).toBe(true);
      expect({ ...decoded, schemaVersion: 1, data: event.data }).toEqual(event);
    });

    it('passes a version 2 event through as it is', () => {
      const data = { widgetId: 'w-2', dimensions: { width: 5 }, colour: 'red' };
      const event = envelope('WidgetCreated', data, { schemaVersion: 2 });
      expect(registry.decode(event)).toEqual(event);
    });

    it('checks a version 1 event against the version 1 schema, not the latest', () => {
      const error = violation(() =>
        registry.decode(
          envelope('WidgetCreated', { widgetId: 'w-3', dimensions: { width: 1 }, colour: 'red' }),
        ),
      );
      expect(error.message).toMatch(/^invalid WidgetCreated v1 data/);
      expect(error.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^size: /)]));
    });
  });

  describe('register', () => {
    it('refuses a spec with a version but no upcaster to it', () => {
      expect(() =>
        new EventRegistry().register({
          type: 'GadgetMade',
          versions: { 1: z.object({}), 2: z.object({ a: z.string() }) },
        }),
      ).toThrow('GadgetMade: no upcaster from version 1 to 2');
    });

    it('refuses a spec with a gap in its versions', () => {
      expect(() =>
        new EventRegistry().register({
          type: 'GadgetMade',
          versions: { 1: z.object({}), 3: z.object({}) },
          upcast: { 1: (d) => d, 2: (d) => d },
        }),
      ).toThrow('GadgetMade: schema version 2 is missing');
    });

    it('leaves a refused type unregistered', () => {
      const registry = new EventRegistry();
      expect(() => registry.register({ type: 'GadgetMade', versions: { 2: z.object({}) } })).toThrow();
      expect(registry.has('GadgetMade')).toBe(false);
    });
  });

  describe('validateData', () => {
    it('returns the parsed data of a valid new event', () => {
      const data = latestCustomerData();
      expect(eventRegistry.validateData('CustomerRegistered', data)).toEqual(data);
    });

    it('refuses invalid data, naming the field', () => {
      const error = violation(() =>
        eventRegistry.validateData('CustomerRegistered', {
          ...latestCustomerData(),
          customerId: 'abc',
        }),
      );
      expect(error.message).toMatch(/^invalid CustomerRegistered data/);
      expect(error.issues).toEqual([expect.stringMatching(/^customerId: /)]);
    });

    it('validates against the latest version', () => {
      const registry = new EventRegistry().register({
        type: 'WidgetCreated',
        versions: { 1: z.strictObject({ size: z.number() }), 2: z.strictObject({ width: z.number() }) },
        upcast: { 1: (data) => ({ width: data.size }) },
      });
      expect(registry.validateData('WidgetCreated', { width: 2 })).toEqual({ width: 2 });
      expect(() => registry.validateData('WidgetCreated', { size: 2 })).toThrow(ContractViolation);
    });

    it('refuses an unknown type', () => {
      const error = violation(() => eventRegistry.validateData('CustomerTeleported', {}));
      expect(error.issues).toEqual(['type: CustomerTeleported is not registered']);
    });
  });
});
