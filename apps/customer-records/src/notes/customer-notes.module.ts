import { Module } from '@nestjs/common';
import { CustomerModule } from '../customer/customer.module';
import { CustomerNotesController } from './customer-notes.controller';
import { CustomerNotesService } from './customer-notes.service';

@Module({
  imports: [CustomerModule],
  controllers: [CustomerNotesController],
  providers: [CustomerNotesService],
  exports: [CustomerNotesService],
})
export class CustomerNotesModule {}
