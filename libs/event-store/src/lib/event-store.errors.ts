import { WardenError } from '@warden/contracts';

/** Another write reached the stream first: the caller must reload and decide again. */
export class StreamVersionConflict extends WardenError {
  readonly code = 'STREAM_VERSION_CONFLICT';
  readonly status = 409;
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`);
  }
}
