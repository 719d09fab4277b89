import { Module } from '@nestjs/common';
import { ClientsModule } from '../core/clients.module';
import { AnswersLagService } from './answers-lag.service';
import { AnswersConsumer } from './answers.consumer';
import { SagaRunner } from './saga-runner.service';
import { SagaService } from './saga.service';

@Module({
  imports: [ClientsModule],
  providers: [SagaService, SagaRunner, AnswersConsumer, AnswersLagService],
  exports: [SagaService],
})
export class SagaModule {}
