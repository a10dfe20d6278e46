import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, rejectsCsv } from './rfc4180.js';

describe('csvField', () => {
  it('writes NULL as an empty unquoted field and the empty string as ""', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('""');
  });

  it('quotes only fields holding a comma, a quote, CR or LF, doubling quotes', () => {
    expect(csvField('008')).toBe('008');
    expect(csvField(' padded ')).toBe(' padded ');
    expect(csvField('Korea, Republic of')).toBe('"Korea, Republic of"');
    expect(csvField('the "Lion City"')).toBe('"the ""Lion City"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
  });
});

describe('csvRecord', () => {
  it('joins with commas and ends with LF', () => {
    expect(csvRecord(['a', null, '', 'x,y'])).toBe('a,,"","x,y"\n');
  });
});

describe('rejectsCsv', () => {
  it('is null without rejects and otherwise line,column,value,reason,raw', () => {
    expect(rejectsCsv([])).toBeNull();
    expect(
      rejectsCsv([
        { line: 3, raw: 'AUD,"036', reason: 'unclosed quote' },
        { line: 7, raw: 'x,y', column: 'minor_units', value: 'two', reason: 'not an integer' },
      ]),
    ).toBe('line,column,value,reason,raw\n3,,,unclosed quote,"AUD,""036"\n7,minor_units,two,not an integer,"x,y"\n');
  });
});
