import { csvRecordInput, headerProblem, importFormatOf } from './customer-import.dto';

describe('import input', () => {
  it('takes CSV and JSON lines by media type', () => {
    expect(importFormatOf('text/csv; charset=utf-8')).toBe('csv');
    expect(importFormatOf('application/x-ndjson')).toBe('ndjson');
    expect(importFormatOf('application/json')).toBeNull();
    expect(importFormatOf(undefined)).toBeNull();
  });

  it('checks the header: known columns, once each, name required', () => {
    expect(headerProblem(['name', 'mobile', 'tags'])).toBeNull();
    expect(headerProblem(['name', 'password'])).toMatch(/unknown column\(s\) password/);
    expect(headerProblem(['name', 'name'])).toMatch(/repeated column\(s\) name/);
    expect(headerProblem(['mobile'])).toMatch(/name is required/);
  });

  it('turns a record into a registration body: empty cells absent, tags split on ;', () => {
    expect(csvRecordInput(['name', 'tags', 'email', 'company'], [' Ada ', 'vip; retail;', '', 'Co'])).toEqual({
      name: 'Ada',
      tags: ['vip', 'retail'],
      company: 'Co',
    });
  });
});
