import { z } from 'zod';
import { envelopeSchema, type EventEnvelope } from './envelope';
import { WardenError } from './errors';

/** A message that does not satisfy its contract. `issues` name each offending field. */
export class ContractViolation extends WardenError {
  readonly status = 400;
  readonly code = 'CONTRACT_VIOLATION';
  constructor(
    message: string,
    readonly issues: readonly string[],
  ) {
    super(`${message}: ${issues.join('; ')}`);
  }
}

export const describeIssues = (error: z.ZodError): string[] =>
  error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);

type EventData = Record<string, unknown>;
type Upcaster = (data: EventData) => EventData;

/**
 * One event type with every schema version it has had. `upcast[v]` turns version `v` data into
 * version `v + 1`, so an old event read today arrives in the latest shape.
 */
export type EventSpec = {
  type: string;
  versions: Record<number, z.ZodType<EventData>>;
  upcast?: Record<number, Upcaster>;
};

export type DecodeOptions = {
  /** Accept event types this registry does not know (envelope checked only), as the audit does. */
  allowUnknownTypes?: boolean;
};

export class EventRegistry {
  private readonly specs = new Map<string, EventSpec & { latest: number }>();

  register(spec: EventSpec): this {
    const versions = Object.keys(spec.versions).map(Number);
    const latest = Math.max(...versions);
    for (let v = 1; v < latest; v += 1) {
      if (!spec.versions[v]) throw new Error(`${spec.type}: schema version ${v} is missing`);
      if (!spec.upcast?.[v]) throw new Error(`${spec.type}: no upcaster from version ${v} to ${v + 1}`);
    }
    this.specs.set(spec.type, { ...spec, latest });
    return this;
  }

  has(type: string): boolean {
    return this.specs.has(type);
  }

  latestVersion(type: string): number {
    const spec = this.specs.get(type);
    if (!spec) throw new ContractViolation('unknown event type', [`type: ${type} is not registered`]);
    return spec.latest;
  }

  /** Validates the data of a new event of `type` at its latest version. */
  validateData<T extends EventData>(type: string, data: unknown): T {
    const spec = this.specs.get(type);
    if (!spec) throw new ContractViolation('unknown event type', [`type: ${type} is not registered`]);
    const result = spec.versions[spec.latest].safeParse(data);
    if (!result.success) throw new ContractViolation(`invalid ${type} data`, describeIssues(result.error));
    return result.data as T;
  }

  /**
   * Validates a raw message (parsed JSON) as an envelope and its data against the schema of its
   * version, then upcasts the data to the latest version. The hash fields still describe the
   * original event; use `verifyStreamChain` on envelopes before decoding if that matters.
   */
  decode(raw: unknown, options: DecodeOptions = {}): EventEnvelope {
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success) throw new ContractViolation('invalid event envelope', describeIssues(parsed.error));
    const envelope = parsed.data as EventEnvelope;
    const spec = this.specs.get(envelope.type);
    if (!spec) {
      if (options.allowUnknownTypes) return envelope;
      throw new ContractViolation('unknown event type', [`type: ${envelope.type} is not registered`]);
    }
    const schema = spec.versions[envelope.schemaVersion];
    if (!schema) {
      throw new ContractViolation('unknown schema version', [
        `schemaVersion: ${envelope.type} has no version ${envelope.schemaVersion}`,
      ]);
    }
    const result = schema.safeParse(envelope.data);
    if (!result.success) {
      throw new ContractViolation(
        `invalid ${envelope.type} v${envelope.schemaVersion} data`,
        describeIssues(result.error),
      );
    }
    let data = result.data;
    for (let v = envelope.schemaVersion; v < spec.latest; v += 1) {
      data = (spec.upcast as Record<number, Upcaster>)[v](data);
    }
    return { ...envelope, schemaVersion: spec.latest, data };
  }

  /** Parses a Kafka message value (bytes) and decodes it. */
  decodeBuffer(value: Buffer | null, options: DecodeOptions = {}): EventEnvelope {
    if (!value || value.length === 0) throw new ContractViolation('empty message', ['(root): no value']);
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch (error) {
      // JSON.parse quotes the input in its message, and a contract error must not repeat message
      // content (it reaches dead-letter headers and logs): keep only where parsing stopped.
      const position = /at position (\d+)/.exec(String((error as { message?: unknown }).message))?.[1];
      throw new ContractViolation('message is not JSON', [
        `(root): not valid JSON${position === undefined ? '' : ` (at position ${position})`}`,
      ]);
    }
    return this.decode(json, options);
  }
}
