import { RequestValidationError } from '@warden/platform';
import { csvTextOf } from '../test/csv-text';
import type { ExportRow } from './fingerprint.util';
import { rowsOfContent } from './trace.service';

describe('the rows of a leaked file', () => {
  it('reads a CSV export with the values as exported, before their formulas were escaped', async () => {
    const rows: ExportRow[] = [
      { id: 'a', name: '=1+2', mobile: '+86 138****8000' },
      { id: 'b', name: 'Plain', mobile: '-' },
    ];
    const content = await csvTextOf(['name', 'mobile'], rows);
    expect(content).toContain("'=1+2");
    expect(rowsOfContent(content)).toEqual([
      { id: 'a', name: '=1+2', mobile: '+86 138****8000' },
      { id: 'b', name: 'Plain', mobile: '-' },
    ]);
  });

  it('reads JSON lines as they are', () => {
    expect(rowsOfContent('{"id":"a","name":"\'=1"}\n{"id":"b"}\n')).toEqual([{ id: 'a', name: "'=1" }, { id: 'b' }]);
  });

  it('refuses text that is neither JSON lines nor CSV with a clear message', () => {
    expect(() => rowsOfContent('{"id":"a"}\n{broken')).toThrow(RequestValidationError);
    expect(() => rowsOfContent('a,"b\nc')).toThrow(/not CSV with a header row/);
  });
});
