import { describe, expect, it } from 'vitest';
import { colorEnabled, Output, terminalText } from './output.js';
import { SecretScrubber } from './secrets.js';

function capture(isTTY: boolean, env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const scrubber = new SecretScrubber();
  scrubber.add('s3cret-value');
  const o = new Output(
    { stdout: { write: (s: string) => out.push(s), isTTY }, stderr: { write: (s: string) => err.push(s), isTTY } },
    scrubber,
    env,
  );
  return { o, out, err };
}

describe('colorEnabled', () => {
  it('is on for a TTY only, and never with NO_COLOR (any value) or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('Output', () => {
  it('prints tables without escape codes when colour is off, and with them on a TTY', () => {
    const plain = capture(false, {});
    plain.o.table(['id', 'status'], [[1, plain.o.status('archived')]]);
    expect(plain.out.join('')).not.toContain('\u001b[');
    expect(plain.out.join('')).toMatch(/│ 1\s+│ archived │/);
    const tty = capture(true, {});
    tty.o.line(tty.o.status('failed'));
    expect(tty.out.join('')).toBe('\u001b[31mfailed\u001b[39m\n');
    const noColor = capture(true, { NO_COLOR: '1' });
    noColor.o.line(noColor.o.status('failed'));
    expect(noColor.out.join('')).toBe('failed\n');
  });

  it('scrubs secrets from stdout, stderr and JSON, and writes bigints as digits', () => {
    const { o, out, err } = capture(false, {});
    o.json({ message: 'token s3cret-value', big: 12345678901234567890n, at: new Date(0) });
    o.note('failed with s3cret-value');
    expect(JSON.parse(out.join(''))).toEqual({
      message: 'token [REDACTED]',
      big: '12345678901234567890',
      at: '1970-01-01T00:00:00.000Z',
    });
    expect(err.join('')).toBe('failed with [REDACTED]\n');
  });

  it('shows control characters from data as symbols in lines, notes and tables, keeping its own colours', () => {
    expect(terminalText('2\u001b]0;pwned\u0007\u001b[2J\r\u007f\u009b')).toBe('2␛]0;pwned␇␛[2J␍\u2421\\x9b');
    expect(terminalText('a\tb\nc')).toBe('a\tb\nc');
    const tty = capture(true, {});
    tty.o.table(['value'], [['x\u001b[2Jy']]);
    tty.o.note(`${tty.o.paint.red('failed')} bad\u001b]2;title\u0007.csv`);
    expect(tty.out.join('')).toContain('x␛[2Jy');
    expect(tty.out.join('')).toContain('\u001b[1mvalue\u001b[22m');
    expect(tty.err.join('')).toBe('\u001b[31mfailed\u001b[39m bad␛]2;title␇.csv\n');
    // Data written with write() (export) stays byte for byte.
    void tty.o.write('a\u001b,b\n');
    expect(tty.out.at(-1)).toBe('a\u001b,b\n');
  });
});
