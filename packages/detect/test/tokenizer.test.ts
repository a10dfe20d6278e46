import { parseString } from '@fast-csv/parse';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Dialect, Tokenizer } from '../src/tokenizer.js';
import type { SourceRecord } from '../src/types.js';
import { ReferenceTokenizer } from './reference-tokenizer.js';

type Outcome = { records: SourceRecord[]; error?: string; irregular: number };

function run(make: () => Tokenizer | ReferenceTokenizer, text: string, cuts: readonly number[]): Outcome {
  const tokenizer = make();
  const records: SourceRecord[] = [];
  const push = (r: SourceRecord): void => {
    records.push(r);
  };
  try {
    let at = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      tokenizer.push(text.slice(at, cut), push);
      at = cut;
    }
    tokenizer.push(text.slice(at), push);
    tokenizer.finish(push);
  } catch (err) {
    return { records, error: (err as { code?: string }).code ?? String(err), irregular: 0 };
  }
  return { records, irregular: 0 };
}

const dialects: Dialect[] = [
  { delimiter: ',', quote: '"', escape: '"' },
  { delimiter: ';', quote: '"', escape: '"' },
  { delimiter: ', ', quote: '"', escape: '"' },
  { delimiter: ',', quote: '"', escape: '\\' },
  { delimiter: '\t', quote: "'", escape: "'" },
  { delimiter: ',', quote: null, escape: null },
  { delimiter: '||', quote: '"', escape: '"' },
  { delimiter: ',', quote: '"', escape: '"', trim: true },
  { delimiter: '\t', quote: "'", escape: '\\', trim: true },
];

describe('Tokenizer', () => {
  it('agrees with the reference tokenizer on random text, dialects and chunkings', () => {
    const alphabet = fc.constantFrom('a', 'b', '1', ',', ';', ' ', '"', "'", '\\', '\n', '\r', '\t', '|', 'é');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 60 }).map((a) => a.join('')),
        fc.constantFrom(...dialects),
        fc.array(fc.nat(60), { maxLength: 6 }),
        (text, dialect, rawCuts) => {
          const cuts = rawCuts.map((c) => Math.min(c, text.length));
          const options = { maxFieldSize: 1_000 };
          const fast = run(() => new Tokenizer(dialect, options), text, cuts);
          const reference = run(() => new ReferenceTokenizer(dialect, options), text, cuts);
          expect(fast).toEqual(reference);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('agrees with fast-csv on RFC 4180 text', async () => {
    // fast-csv turns a field of only spaces into '' (we keep the spaces), so such fields are left out.
    const field = fc
      .array(fc.constantFrom('a', 'B', '7', ',', '"', '\n', '\r\n', ' ', 'ü', ''), { maxLength: 6 })
      .map((a) => a.join(''))
      .filter((f) => f === '' || f.trim() !== '' || /[\r\n]/.test(f));
    const table = fc.array(fc.array(field, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(table, async (rows) => {
        const text = rows
          .map((r) => r.map((f) => (/[",\r\n]/.test(f) || f === '' ? `"${f.replaceAll('"', '""')}"` : f)).join(','))
          .join('\r\n');
        const ours = run(
          () => new Tokenizer({ delimiter: ',', quote: '"', escape: '"' }, { maxFieldSize: 1e6 }),
          text,
          [Math.floor(text.length / 2)],
        ).records.map((r) => r.fields);
        const theirs = await new Promise<string[][]>((resolve, reject) => {
          const out: string[][] = [];
          parseString<string[], string[]>(text)
            .on('data', (r) => out.push(r))
            .on('error', reject)
            .on('end', () => resolve(out));
        });
        expect(ours).toEqual(theirs);
        expect(ours).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('counts physical lines across quoted line breaks of every kind', () => {
    const text = 'a,"x\ny"\r\nb,"p\rq\r\nr"\rc,z';
    const out = run(() => new Tokenizer({ delimiter: ',', quote: '"', escape: '"' }, { maxFieldSize: 100 }), text, [9]);
    expect(out.records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['a', 'x\ny']],
      [3, ['b', 'p\rq\r\nr']],
      [6, ['c', 'z']],
    ]);
  });

  it('marks the fields written as a quoted empty field, and only those', () => {
    const text = 'a,"",\n"","x",""\nno,quotes,\n"""","", ""\n';
    const out = run(() => new Tokenizer({ delimiter: ',', quote: '"', escape: '"' }, { maxFieldSize: 100 }), text, [3]);
    expect(out.records.map((r) => [r.fields, r.quotedEmpty])).toEqual([
      [['a', '', ''], [1]],
      [
        ['', 'x', ''],
        [0, 2],
      ],
      [['no', 'quotes', ''], undefined],
      // '""""' is one quote; ' ""' (padded) is not a quoted field.
      [['"', '', ' ""'], [1]],
    ]);
  });

  it('splits a single-column file with quotes in linear time', () => {
    const text = '"v"\n'.repeat(200_000);
    const tokenizer = new Tokenizer({ delimiter: ',', quote: '"', escape: '"' }, { maxFieldSize: 100 });
    let n = 0;
    tokenizer.push(text, () => {
      n += 1;
    });
    tokenizer.finish(() => {
      n += 1;
    });
    expect(n).toBe(200_000);
  });
});
