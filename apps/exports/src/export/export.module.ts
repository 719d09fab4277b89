import { Module } from '@nestjs/common';
import { ExportCommandConsumer } from '../commands/export-command.consumer';
import { DirectoryConsumer } from '../directory/directory.consumer';
import { DirectoryService } from '../directory/directory.service';
import { TraceService } from '../fingerprint/trace.service';
import { ExportGenerator } from '../generation/export-generator.service';
import { ExportQueueSignal } from '../generation/export-queue.signal';
import { DownloadService } from './download.service';
import { ExportExpirySweeper } from './export-expiry.sweeper';
import { ExportController } from './export.controller';
import { ExportService } from './export.service';

@Module({
  controllers: [ExportController],
  providers: [
    ExportService,
    DownloadService,
    TraceService,
    DirectoryService,
    DirectoryConsumer,
    ExportGenerator,
    ExportQueueSignal,
    ExportExpirySweeper,
    ExportCommandConsumer,
  ],
})
export class ExportModule {}
