import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addFormatOptions, formatOverridesFrom, mergeFormatOverrides } from './format-flags.js';

/** Parses `args` with the format options and returns the overrides they say. */
function parse(args: string[]): ReturnType<typeof formatOverridesFrom> {
  const cmd = addFormatOptions(new Command('x').exitOverride());
  cmd.parse(args, { from: 'user' });
  return formatOverridesFrom(cmd.opts());
}

describe('format flags', () => {
  it('say nothing when none is given, so detection decides everything', () => {
    expect(parse([])).toBeUndefined();
  });

  it('read named and literal delimiters, quote and escape characters', () => {
    expect(parse(['--delimiter', 'tab', '--quote', "'", '--escape', '\\'])).toEqual({
      delimiter: '\t',
      quote: "'",
      escape: '\\',
    });
    expect(parse(['--delimiter', ', ', '--quote', 'none', '--escape', 'none'])).toEqual({
      delimiter: ', ',
      quote: null,
      escape: null,
    });
    expect(parse(['--escape', 'double'])).toEqual({ escape: '"' });
  });

  it('read header rows, no header, skipped lines, encoding, null tokens and the date order', () => {
    expect(parse(['--no-header'])).toEqual({ header: false });
    expect(parse(['--header', '2', '--skip-lines', '3', '--encoding', 'windows-1252'])).toEqual({
      header: 2,
      skipLines: 3,
      encoding: 'windows-1252',
    });
    expect(parse(['--null', '-', '--null', 'n/a', '--date-order', 'DMY'])).toEqual({
      nullTokens: ['-', 'n/a'],
      dateOrder: 'DMY',
    });
  });

  it('read repeatable column types, the last = separating a name that holds one', () => {
    expect(parse(['--type', 'code=text', '--type', 'a=b=Decimal'])).toEqual({
      columnTypes: { code: 'text', 'a=b': 'decimal' },
    });
  });

  it('refuse wrong values with a usage error that says what is expected', () => {
    const bad = (args: string[]): unknown => {
      try {
        parse(args);
        return null;
      } catch (err) {
        return err;
      }
    };
    expect(bad(['--quote', 'xx'])).toMatchObject({
      code: 'APP_USAGE',
      message: expect.stringContaining('one character'),
    });
    expect(bad(['--type', 'code'])).toMatchObject({
      code: 'APP_USAGE',
      message: expect.stringContaining('COLUMN=KIND'),
    });
    expect(bad(['--type', 'code=money'])).toMatchObject({ code: 'APP_USAGE' });
    expect(bad(['--skip-lines', '-1'])).toMatchObject({ code: 'APP_USAGE' });
    expect(bad(['--delimiter', '\n'])).toMatchObject({ code: 'APP_USAGE' });
    expect(bad(['--quote', 'none', '--escape', 'double'])).toMatchObject({ code: 'APP_USAGE' });
    expect(bad(['--encoding', 'ebcdic'])).toMatchObject({ code: 'commander.invalidArgument' });
  });

  it('put the command line on top of the dataset settings, merging column types', () => {
    expect(
      mergeFormatOverrides(
        { delimiter: ';', columnTypes: { a: 'text', b: 'date' } },
        { delimiter: '|', columnTypes: { b: 'text' } },
      ),
    ).toEqual({ delimiter: '|', columnTypes: { a: 'text', b: 'text' } });
    expect(mergeFormatOverrides(undefined, { header: false })).toEqual({ header: false });
    expect(mergeFormatOverrides({ header: false }, undefined)).toEqual({ header: false });
  });
});
