import { describe, expect, it } from 'vitest';
import { rejectsToCsv } from './rejects-csv.js';

describe('rejectsToCsv', () => {
  it('returns null when nothing was rejected', () => {
    expect(rejectsToCsv([])).toBeNull();
  });

  it('writes RFC 4180 rows with a header, quoting only where needed', () => {
    const csv = rejectsToCsv([
      { line: 3, raw: '008,"Lek, Albanian",x', column: 'minor_unit', value: 'x', reason: 'not an integer' },
      { line: 7, raw: 'a\r\nb', reason: 'expected 3 fields, found 1' },
      { line: 9, raw: 'q"q', column: 'name', value: 'say "hi"', reason: 'too long' },
    ]);
    expect(csv).toBe(
      'line,column,value,reason,raw\n' +
        '3,minor_unit,x,not an integer,"008,""Lek, Albanian"",x"\n' +
        '7,,,"expected 3 fields, found 1","a\r\nb"\n' +
        '9,name,"say ""hi""",too long,"q""q"\n',
    );
  });

  it('writes an empty value as "" and a missing one as an empty unquoted field', () => {
    expect(
      rejectsToCsv([
        { line: 4, raw: ',x', column: 'code', value: '', reason: 'empty or NULL value in a column that must have one' },
        { line: 5, raw: 'y', reason: 'expected 2 fields, found 1' },
      ]),
    ).toBe(
      'line,column,value,reason,raw\n' +
        '4,code,"",empty or NULL value in a column that must have one,",x"\n' +
        '5,,,"expected 2 fields, found 1",y\n',
    );
  });
});
