import { WardenError } from '@warden/contracts';
import { RequestValidationError, ServiceUnavailableError } from '@warden/platform';
import { ForbiddenError, type ServiceTokenClient } from '@warden/security';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** The body of customer-records' internal stream and count endpoints. */
export type CustomerStreamRequest = {
  onBehalfOf: string;
  purposeId: string;
  filter: Record<string, unknown>;
  fields: string[];
  clearFields: string[];
};

export type HttpCall = (url: string, init: RequestInit) => Promise<Response>;

/**
 * customer-records' service-to-service API, called as `system:exports`:
 * `POST /internal/v1/customers/count` → `{count}` and `POST /internal/v1/customers/stream` →
 * NDJSON rows with the requester's ability and field levels applied. `call` goes through the
 * caller's circuit breaker; a 403 (a clear field the requester may not see) is the requester's
 * problem and passes through as 403, anything else that is not a 200 is a 503.
 */
export class CustomerRecordsClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tokens: ServiceTokenClient,
    private readonly call: HttpCall,
  ) {}

  async count(request: CustomerStreamRequest): Promise<number> {
    const res = await this.post('/internal/v1/customers/count', request, AbortSignal.timeout(5000));
    const json = (await res.json()) as { count?: unknown };
    if (typeof json.count !== 'number' || !Number.isInteger(json.count) || json.count < 0) {
      throw new ServiceUnavailableError('customer-records answered the count without a count');
    }
    return json.count;
  }

  /** The rows, one parsed JSON object at a time, read as fast as the consumer takes them. */
  async *stream(request: CustomerStreamRequest, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    for await (const batch of this.streamBatches(request, signal)) yield* batch;
  }

  /**
   * The rows in batches: the complete lines of each chunk read from the socket, parsed (one
   * await per chunk of tens of KB rather than one per row). The next chunk is read only when the
   * consumer asks for the next batch, so back-pressure reaches customer-records.
   */
  async *streamBatches(request: CustomerStreamRequest, signal?: AbortSignal): AsyncGenerator<Array<Record<string, unknown>>> {
    const res = await this.post('/internal/v1/customers/stream', request, signal);
    if (!res.body) throw new ServiceUnavailableError('customer-records answered the stream without a body');
    const body = Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]);
    // A chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next one.
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of body) {
      const text = rest + decoder.write(chunk as Buffer);
      const end = text.lastIndexOf('\n');
      if (end < 0) {
        rest = text;
        continue;
      }
      rest = text.slice(end + 1);
      const batch = parseLines(text, end);
      if (batch.length > 0) yield batch;
    }
    rest += decoder.end();
    if (rest.trim() !== '') yield [JSON.parse(rest) as Record<string, unknown>];
  }

  private async post(path: string, request: CustomerStreamRequest, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.tokens.token();
      const res = await this.call(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(request),
        signal,
      }).catch((error: unknown) => {
        if (error instanceof WardenError) throw error;
        // Refused, reset or aborted: the dependency is down, the request fails closed.
        throw new ServiceUnavailableError('customer-records is unreachable');
      });
      if (res.status === 200) return res;
      const detail = await res.text().catch(() => '');
      if (res.status === 401 && attempt === 1) {
        this.tokens.invalidate();
        continue;
      }
      if (res.status === 403) throw new ForbiddenError(messageOf(detail) ?? 'customer-records refused the export for this requester');
      if (res.status === 400) throw new RequestValidationError([`body.filter: ${messageOf(detail) ?? 'refused by customer-records'}`]);
      throw new ServiceUnavailableError(`customer-records answered ${res.status}`);
    }
  }
}

/** The `message` of a Warden error body (never holds a sensitive value by contract). */
function messageOf(body: string): string | null {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message.slice(0, 500) : null;
  } catch {
    return null;
  }
}

/**
 * The JSON lines of `text` up to `end` (exclusive), blank lines skipped. Parsed in one
 * `JSON.parse` of the lines as an array (a JSON text holds no raw line break, so each line break
 * becomes the comma between two elements), which is cheaper than a parse per line; when that fails
 * or does not give one element per line (blank lines, or a line that is not one JSON value), line
 * by line, which skips blank lines and throws for the first bad line as before.
 */
export function parseLines(text: string, end: number): Array<Record<string, unknown>> {
  const body = text.slice(0, end);
  let lines = 1;
  for (let at = body.indexOf('\n'); at >= 0; at = body.indexOf('\n', at + 1)) lines += 1;
  try {
    const rows = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as Array<Record<string, unknown>>;
    if (rows.length === lines) return rows;
  } catch {
    // Blank or bad lines: the line-by-line parse below skips the one and reports the other.
  }
  return parseEachLine(body);
}

function parseEachLine(body: string): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  let start = 0;
  const end = body.length;
  while (start < end) {
    let next = body.indexOf('\n', start);
    if (next < 0) next = end;
    const line = body.slice(start, next);
    if (line.trim() !== '') rows.push(JSON.parse(line) as Record<string, unknown>);
    start = next + 1;
  }
  return rows;
}
