/** Name rules: ignored names, markers, processing/pending/final names within 255 bytes. */
import { describe, expect, it } from 'vitest';
import {
  finalName,
  fitName,
  isIgnoredName,
  isSafeSidecarSuffix,
  isTempName,
  markerTarget,
  parsePendingName,
  parseProcessingName,
  pendingName,
  processingName,
  tempName,
} from './names.js';

const AT = new Date('2025-03-04T05:06:07.890Z');

describe('names', () => {
  it('ignores hidden, lock and partial files but not ordinary names with dots, dashes or spaces', () => {
    for (const name of ['.x.csv', '..csv', '~$book.csv', 'a.csv.tmp', 'a.CSV.TMP', 'a.csv.part', 'a.csv.filepart']) {
      expect(isIgnoredName(name), name).toBe(true);
    }
    for (const name of [
      'a.csv',
      '-leading.csv',
      'a..b.csv',
      'with space.csv',
      'Åland.csv',
      'tmp.csv',
      'partners.csv',
    ]) {
      expect(isIgnoredName(name), name).toBe(false);
    }
  });

  it('recognises NAME.done and NAME.ok markers in any case', () => {
    expect(markerTarget('rates.csv.done')).toBe('rates.csv');
    expect(markerTarget('rates.csv.OK')).toBe('rates.csv');
    expect(markerTarget('rates.csv')).toBeNull();
    expect(markerTarget('.done')).toBeNull();
    expect(markerTarget('done')).toBeNull();
  });

  it('writes and parses processing names with the claim id first', () => {
    expect(processingName(42, 'rates.csv')).toBe('42--rates.csv');
    expect(parseProcessingName('42--rates.csv')).toEqual({ fileId: 42, name: 'rates.csv' });
    expect(parseProcessingName('7--a--b.csv')).toEqual({ fileId: 7, name: 'a--b.csv' });
    expect(parseProcessingName('rates.csv')).toBeNull();
    expect(parseProcessingName('--rates.csv')).toBeNull();
    expect(parseProcessingName('12--')).toBeNull();
  });

  it('dates pending names so an abandoned move can be told from one under way', () => {
    const name = pendingName('-x y.csv', 1_700_000_000_000);
    expect(name.startsWith('.pending-')).toBe(true);
    expect(isIgnoredName(name)).toBe(true);
    expect(parseProcessingName(name)).toBeNull();
    expect(parsePendingName(name)).toEqual({ createdAt: 1_700_000_000_000, name: '-x y.csv' });
    expect(parsePendingName('12--x.csv')).toBeNull();
  });

  it('builds final names with a UTC timestamp and a short hash before the extension', () => {
    const a = finalName('currencies.csv', AT, 'seed');
    const b = finalName('currencies.csv', AT, 'seed');
    expect(a).toMatch(/^currencies\.20250304T050607Z-[0-9a-f]{6}\.csv$/);
    expect(a).not.toBe(b);
    expect(finalName('README', AT, 's')).toMatch(/^README\.20250304T050607Z-[0-9a-f]{6}$/);
    expect(finalName('-a..b c.csv', AT, 's')).toMatch(/^-a\.\.b c\.20250304T050607Z-[0-9a-f]{6}\.csv$/);
  });

  it('keeps long unicode names within 255 bytes, extension last, leaving room for sidecars', () => {
    const long = `${'é'.repeat(200)}.csv`;
    const fin = finalName(long, AT, 's');
    expect(Buffer.byteLength(`${fin}.error.json`)).toBeLessThanOrEqual(255);
    expect(fin.endsWith('.csv')).toBe(true);
    expect(fin).not.toContain('\uFFFD');
    const proc = processingName(123456, long);
    expect(Buffer.byteLength(proc)).toBeLessThanOrEqual(255);
    expect(proc.endsWith('.csv')).toBe(true);
    expect(fitName('short.csv', 255)).toBe('short.csv');
    expect(Buffer.byteLength(fitName(`${'😀'.repeat(100)}.csv`, 50))).toBeLessThanOrEqual(50);
  });

  it('accepts only sidecar suffixes that cannot escape the folder', () => {
    expect(isSafeSidecarSuffix('.rejects.csv')).toBe(true);
    for (const bad of ['rejects.csv', '.', '..', '/../x', '.a/b', '.a\\b', '.a\0', `.${'x'.repeat(60)}`]) {
      expect(isSafeSidecarSuffix(bad), bad).toBe(false);
    }
  });
});

describe('tempName', () => {
  it('is hidden, recognised by isTempName, and never longer than 255 bytes', () => {
    const short = tempName('rates.csv.error.json');
    expect(short).toMatch(/^\.refdata-tmp-[0-9a-f]{16}--rates\.csv\.error\.json$/);
    expect(isIgnoredName(short)).toBe(true);
    expect(isTempName(short)).toBe(true);
    const long = tempName(`${'ü'.repeat(120)}.csv.error.json`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(255);
    expect(isTempName(long)).toBe(true);
  });

  it("isTempName refuses other tools' temporary files and near misses", () => {
    for (const name of [
      '.rates.csv.3fa9c2d1.tmp',
      '.rates.csv.AbC123',
      'rates.csv.tmp',
      '.refdata-tmp-0123456789abcdef--',
      '.refdata-tmp-0123456789abcde--x',
      '.refdata-tmp-0123456789ABCDEF--x',
      'refdata-tmp-0123456789abcdef--x',
    ])
      expect(isTempName(name), name).toBe(false);
  });
});
