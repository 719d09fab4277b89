import { Module, type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { accessEventSpecs, eventRegistry } from '@warden/contracts';
import { BatchedAppender, EventRelay, EventStore } from '@warden/event-store';
import { DataSource } from 'typeorm';
import { AccessRecorder } from './access-recorder.service';

/** Writes what is waiting before the platform closes its connections. */
@Injectable()
class AccessAppenderLifecycle implements BeforeApplicationShutdown {
  constructor(private readonly appender: BatchedAppender) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.appender.close();
  }
}

/** Read audit: the batched appender of access events and the recorder the read handlers use. */
@Module({
  providers: [
    {
      provide: BatchedAppender,
      inject: [EventStore, DataSource, EventRelay],
      useFactory: (store: EventStore, dataSource: DataSource, relay: EventRelay) =>
        new BatchedAppender({
          store,
          dataSource,
          registry: eventRegistry,
          maxWaitMs: 2,
          maxBatch: 200,
          // A read is not kept waiting when nothing else is being written; under load, records
          // queue behind the batch in flight and share the next transaction.
          flushWhenIdle: true,
          // No inline projection of this service handles access events (they only go to the
          // access topic, for audit): one request's events are one autocommit statement.
          unprojectedTypes: new Set(accessEventSpecs.map((spec) => spec.type)),
          onCommit: () => relay.nudge(),
        }),
    },
    AccessAppenderLifecycle,
    AccessRecorder,
  ],
  exports: [AccessRecorder],
})
export class AccessModule {}
