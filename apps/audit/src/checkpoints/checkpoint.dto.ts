import { z } from 'zod';

const size = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const listCheckpointsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Only checkpoints of a smaller tree (paging backwards). */
  before: size.optional(),
});
export type ListCheckpointsQuery = z.infer<typeof listCheckpointsQuery>;

export const proofQuery = z.strictObject({ treeSize: size.optional() });
export type ProofQuery = z.infer<typeof proofQuery>;

export const eventIdParam = z.uuid({ message: 'must be an event id (UUID)' });

export const consistencyQuery = z
  .strictObject({ from: size, to: size })
  .refine((q) => q.from <= q.to, { message: 'from must not be greater than to', path: ['from'] });
export type ConsistencyQuery = z.infer<typeof consistencyQuery>;
