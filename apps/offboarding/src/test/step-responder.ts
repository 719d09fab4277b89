import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, hashEvent, systemActor, Topics, type CommandEnvelope } from '@warden/contracts';
import { testProducer } from '@warden/testing';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { v7 as uuidv7 } from 'uuid';
import type { DirectoryStub } from './directory-stub';

/** Builds hash-chained envelopes of one stream as a receiver's relay would publish them. */
export function streamEnvelopes(service: string, streamId: string, command: Pick<CommandEnvelope, 'commandId' | 'correlationId'>) {
  let prevHash = GENESIS_HASH;
  let version = 0;
  return (type: string, data: Record<string, unknown>): { key: string; value: string } => {
    version += 1;
    const body = {
      eventId: uuidv7(),
      type,
      schemaVersion: 1,
      streamId,
      streamVersion: version,
      occurredAt: new Date().toISOString(),
      actor: systemActor(service),
      correlationId: command.correlationId,
      causationId: command.commandId,
      data,
    };
    const hash = hashEvent(prevHash, body);
    const value = JSON.stringify({ ...body, globalPosition: Date.now() * 1000 + version, prevHash, hash });
    prevHash = hash;
    return { key: streamId, value };
  };
}

type Answer = { service: 'authorization' | 'exports' | 'audit'; type: string; data: Record<string, unknown> };

/**
 * STUB of the receivers of the saga's step commands for the failure paths of
 * offboarding.e2e-spec.ts and the saga int spec (answers held back or refused on cue, which the
 * real services cannot be made to do; the real ones answer in offboarding-real-services.e2e-spec.ts):
 * consumes the commands topics of authorization (`MarkUserDeparting`, `FreezeUserAccess`, acting on
 * the `DirectoryStub`'s users), exports (`CancelUserExports`) and audit (`CompileUserActivity`, the
 * stub's recorded `activity`), and answers each command id once on the receiver's events topic as
 * the real services do (`CommandCompleted`, `CommandRejected`, `UserActivityCompiled`).
 */
export class StepResponder {
  readonly commands: CommandEnvelope[] = [];
  /** `FreezeUserAccess` is refused as retryable (authorization failing). */
  failFreeze = false;
  /** `CompileUserActivity` is refused as retryable (audit failing). */
  failAudit = false;
  /** Holds the freeze's answer until released (to kill the service in the middle of the step). */
  holdFreeze: Promise<void> | null = null;
  /** Holds a departing mark until released (to cancel the case meanwhile). */
  holdDeparting: Promise<void> | null = null;
  /** Holds the activity's answer until released (to kill the service in the middle of the report). */
  holdActivity: Promise<void> | null = null;
  private readonly done = new Set<string>();
  private consumer: Consumer | null = null;
  private producer: Producer | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly prefix: string,
    private readonly stub: DirectoryStub,
  ) {}

  /** The topics this stub consumes (create them before starting). */
  get topics(): string[] {
    return (['authorization', 'exports', 'audit'] as const).map((service) => `${this.prefix}${Topics.commands(service)}`);
  }

  commandsOf(type: string, userId?: string): CommandEnvelope[] {
    return this.commands.filter((c) => c.type === type && (userId === undefined || c.data.userId === userId));
  }

  async start(): Promise<void> {
    this.producer = testProducer(this.kafka);
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId: `${this.prefix}step-responder-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const command = JSON.parse(message.value?.toString('utf8') ?? '{}') as CommandEnvelope;
        this.commands.push(command);
        if (this.done.has(command.commandId)) return;
        this.done.add(command.commandId);
        const answer = await this.answerTo(command);
        const envelope = streamEnvelopes(answer.service, `command-${command.commandId}`, command)(answer.type, answer.data);
        await this.producer?.send({ topic: `${this.prefix}${Topics.events(answer.service)}`, acks: -1, messages: [envelope] });
      },
    });
  }

  private async answerTo(command: CommandEnvelope): Promise<Answer> {
    const { commandId, type } = command;
    const userId = String(command.data.userId);
    const completed = (service: Answer['service'], outcome: Record<string, unknown>): Answer => ({
      service,
      type: 'CommandCompleted',
      data: { commandId, command: type, outcome },
    });
    const rejected = (service: Answer['service'], code: string, retryable: boolean): Answer => ({
      service,
      type: 'CommandRejected',
      data: { commandId, command: type, code, message: `${code} (stub)`, retryable },
    });
    const user = this.stub.users.get(userId);
    switch (type) {
      case 'MarkUserDeparting': {
        if (this.holdDeparting) await this.holdDeparting;
        if (!user) return rejected('authorization', 'USER_NOT_FOUND', false);
        if (user.status === 'offboarded') return rejected('authorization', 'USER_OFFBOARDED', false);
        if (user.status === 'active') user.status = 'departing';
        this.stub.departing.set(userId, String(command.data.effectiveAt));
        return completed('authorization', { status: user.status, departingEffectiveAt: String(command.data.effectiveAt) });
      }
      case 'FreezeUserAccess': {
        if (this.holdFreeze) await this.holdFreeze;
        if (this.failFreeze) return rejected('authorization', 'SERVICE_UNAVAILABLE', true);
        if (!user) return rejected('authorization', 'USER_NOT_FOUND', false);
        const first = !this.stub.frozen.has(userId);
        if (first) this.stub.frozen.set(userId, Date.now());
        user.status = 'offboarded';
        // As the authorization service answers: a repeated freeze gives the first one's counts.
        return completed('authorization', { sessionsRevoked: 2, grantsRevoked: 1, alreadyFrozen: !first });
      }
      case 'CancelUserExports':
        return completed('exports', { cancelled: 0 });
      case 'CompileUserActivity': {
        if (this.holdActivity) await this.holdActivity;
        if (this.failAudit) return rejected('audit', 'SERVICE_UNAVAILABLE', true);
        const { from, to, eventCount, truncated, summary } = this.stub.activity as Record<string, unknown>;
        return {
          service: 'audit',
          type: 'UserActivityCompiled',
          data: { commandId, userId, days: command.data.days, from, to, eventCount, truncated, summary },
        };
      }
      default:
        throw new Error(`the step responder does not know ${type}`);
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
