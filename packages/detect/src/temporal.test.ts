import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceTemporal } from '../test/reference-value-parser.js';
import { compileTemporal } from './temporal.js';

const TOKENS = ['YYYY', 'MM', 'M', 'DD', 'D', 'HH', 'H', 'mm', 'ss', '[.S]', 'Z'];
const LITERALS = ['-', '/', '.', ':', 'T', ' ', ',', '+'];
const TEXT_ALPHABET = ['0', '1', '2', '3', '5', '9', '-', '/', '.', ',', ':', 'T', ' ', 'Z', 'z', '+'];

/** Common formats, and random sequences of tokens and literal characters. */
const formats = fc.oneof(
  fc.constantFrom(
    'YYYY-MM-DD',
    'DD/MM/YYYY',
    'M/D/YYYY',
    'D.M.YYYY',
    'YYYYMMDD',
    'HH:mm',
    'H:mm',
    'HH:mm:ss[.S]',
    'YYYY-MM-DDTHH:mm:ss[.S]Z',
    'YYYY-MM-DD HH:mm:ss',
    'DD/MM/YYYY H:mm:ss[.S]Z',
    'MD',
    'HZ',
    'HH:mmZ:ss',
  ),
  fc
    .array(fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(...LITERALS)), { minLength: 1, maxLength: 8 })
    .map((a) => a.join('')),
);

/** Renders a plausible value for a format, so that most texts match or nearly match. */
function render(format: string, digits: readonly number[], tail: string): string {
  let out = '';
  let d = 0;
  const next = (): number => digits[d++ % digits.length] as number;
  for (let i = 0; i < format.length; ) {
    const token = ['YYYY', '[.S]', 'MM', 'DD', 'HH', 'mm', 'ss', 'M', 'D', 'H', 'Z'].find((t) =>
      format.startsWith(t, i),
    );
    if (token === undefined) {
      out += format[i];
      i += 1;
      continue;
    }
    i += token.length;
    if (token === 'YYYY') out += String(1 + ((next() * 397) % 9999)).padStart(4, '0');
    else if (token === '[.S]')
      out += next() % 3 === 0 ? '' : `${next() % 2 ? '.' : ','}${'123456789'.slice(0, 1 + (next() % 9))}`;
    else if (token === 'Z') out += ['', 'Z', 'z', '+01:00', '-0530', '+14', '+15:00', '-12:60'][next() % 8];
    else if (token.length === 1) out += String(next() % 32);
    else out += String(next() % 62).padStart(2, '0');
  }
  return out + tail;
}

describe('compileTemporal', () => {
  it('gives the parts the regex matcher gives for every format and text', () => {
    fc.assert(
      fc.property(
        formats,
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 12 }),
        fc.oneof(
          fc.constant(''),
          fc.array(fc.constantFrom(...TEXT_ALPHABET), { maxLength: 3 }).map((a) => a.join('')),
        ),
        fc.array(fc.constantFrom(...TEXT_ALPHABET), { maxLength: 25 }).map((a) => a.join('')),
        (format, digits, tail, random) => {
          const fast = compileTemporal(format);
          const reference = referenceTemporal(format);
          const text = render(format, digits, tail);
          expect(fast(text)).toEqual(reference(text));
          expect(fast(random)).toEqual(reference(random));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('reads canonical date-times, offsets and fractions without the regex', () => {
    const match = compileTemporal('YYYY-MM-DDTHH:mm:ss[.S]Z');
    expect(match('2024-02-29T23:59:59.123456789+05:30')).toEqual({
      year: 2024,
      month: 2,
      day: 29,
      hour: 23,
      minute: 59,
      second: 59,
      fraction: '123456789',
      offset: '+05:30',
    });
    expect(match('2023-02-29T00:00:00Z')).toBeNull();
    expect(match('2024-01-01T00:00:00+15:00')).toBeNull();
    expect(match('2024-01-01T00:00:00,5z')).toMatchObject({ fraction: '5', offset: 'Z' });
    expect(match('2024-01-01T24:00:00')).toBeNull();
  });

  it('falls back to backtracking where the greedy reading fails', () => {
    // 'MD' with two digits: the greedy month takes both, the regex backtracks to 1 + 2.
    expect(compileTemporal('MD')('12')).toMatchObject({ month: 1, day: 2 });
    expect(compileTemporal('M/D/YYYY')('1/9/2025')).toMatchObject({ year: 2025, month: 1, day: 9 });
  });
});
