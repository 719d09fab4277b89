import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { RequestValidationError } from './errors';

/**
 * Validates a body, query or param against a zod schema. Use strict objects so that unknown
 * fields are refused rather than silently dropped.
 */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.infer<S> {
    const result = this.schema.safeParse(value);
    if (!result.success) {
      const where = metadata.type === 'custom' ? 'value' : metadata.type;
      throw RequestValidationError.fromZod(result.error, metadata.data ? `${where}.${metadata.data}` : where);
    }
    return result.data;
  }
}
