import type { ServiceTokenClient } from '@warden/security';
import { CustomerRecordsClient, parseLines, type CustomerStreamRequest } from './customer-records.client';

const request: CustomerStreamRequest = { onBehalfOf: 'u-1', purposeId: 'e-1', filter: {}, fields: ['name'], clearFields: [] };
const tokens = { token: async () => 'service-token', invalidate: () => undefined } as unknown as ServiceTokenClient;

/** A client whose stream answers with `chunks` as the body, each one a read of the socket. */
const clientAnswering = (chunks: Buffer[]) =>
  new CustomerRecordsClient('http://customer-records', tokens, async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
  });

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe('CustomerRecordsClient', () => {
  describe('when the stream arrives in chunks', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: `id-${i}`, version: 1, name: `欧阳娜娜 ${i}`, address: '广东省深圳市' }));
    const text = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n\n`;
    const bytes = Buffer.from(text, 'utf8');

    it('gives every row once, in order, whatever the chunk boundaries (inside a line or a character)', async () => {
      for (const size of [1, 2, 3, 7, 64, 1000, bytes.length]) {
        const chunks: Buffer[] = [];
        for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
        const client = clientAnswering(chunks);
        expect(await collect(client.stream(request))).toEqual(rows);
        const batches = await collect(client.streamBatches(request));
        expect(batches.flat()).toEqual(rows);
        expect(batches.every((batch) => batch.length > 0)).toBe(true);
      }
    });

    it('gives a last line without its newline too', async () => {
      const client = clientAnswering([Buffer.from(`${JSON.stringify(rows[0])}\n${JSON.stringify(rows[1])}`)]);
      expect(await collect(client.stream(request))).toEqual(rows.slice(0, 2));
    });

    it('groups the complete lines of one chunk into one batch', async () => {
      const client = clientAnswering([bytes]);
      const batches = await collect(client.streamBatches(request));
      expect(batches).toHaveLength(1);
      expect(batches[0]).toHaveLength(50);
    });
  });

  describe('the lines of a chunk', () => {
    const parsedOneByOne = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    const lines = ['{"id":"a","name":"x, y"}', '{"id":"b","tags":["1","2"]}', '{"id":"c","name":"say \\"hi\\"\\n"}'];

    it('are the rows a parse per line gives, also with blank lines and carriage returns', () => {
      for (const text of [lines.join('\n'), `${lines.join('\n\n')}\n  `, lines.join('\r\n'), '', '\n']) {
        expect(parseLines(`${text}\n`, text.length)).toEqual(parsedOneByOne(text));
      }
    });

    it('refuse a line that is not one JSON value, as a parse per line does', () => {
      for (const text of ['{"id":"a"},{"id":"b"}\n{"id":"c"}', '{"id":"a"}\n{"id":', '[{"id":"a"}\n]']) {
        expect(() => parsedOneByOne(text)).toThrow(SyntaxError);
        expect(() => parseLines(`${text}\n`, text.length)).toThrow(SyntaxError);
      }
    });
  });
});
