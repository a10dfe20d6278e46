/**
 * Exact values across dialects, through the built CLI: the same CSV ingested into SQLite and into
 * the live SQL Server engine in REFDATA_TEST_MSSQL (Babelfish in CI), under TZ=Asia/Tokyo, exports
 * the same bytes — decimals as the file wrote them, 38 digits, dates, times and date-times with
 * offsets, '' apart from NULL, text outside Latin-1 and codes with leading zeros.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL } from './mssql-helpers.js';

const CSV = [
  'code,name,amount,rate,day,at,stamp,local_time,note',
  '007,Zürich € 漢字 😀,1.5,12345678901234567890123456.123456789012,2024-02-29,2024-03-31T02:30:00.123,2024-03-31T02:30:00.123+09:00,23:59:59.999,"a ""quoted"", value"',
  '010,"",0.10,-0.000000000001,0001-01-01,1970-01-01T00:00:00.000,1970-01-01T00:00:00.000Z,00:00:00.000,',
  '0099,Genève,2.00,7,2024-12-31,2024-06-30T12:00:00.500,2024-06-30T12:00:00.500-05:30,12:00:00.500,"line one',
  'line two"',
  '123,,,,,,,,""',
].join('\r\n');

describe.skipIf(MSSQL_URL === undefined)('exact values across dialects (live engine)', () => {
  it('exports byte-identical CSV from SQLite and SQL Server for the same file under TZ=Asia/Tokyo', {
    timeout: 240_000,
  }, async () => {
    const mssql = await freshMssqlDatabase();
    const ws = await workspace();
    const file = join(ws.dir, 'values.csv');
    await writeFile(file, `${CSV}\r\n`);
    const exports: string[] = [];
    for (const db of [undefined, mssql]) {
      const env = ws.env({ TZ: 'Asia/Tokyo', LOG_LEVEL: 'warn', ...(db === undefined ? {} : { REFDATA_DB: db }) });
      const ingested = await runCli(['ingest', file, '--table', 'exact_values'], { cwd: ws.dir, env });
      expect(ingested.code, ingested.stderr + ingested.stdout).toBe(0);
      expect(ingested.stdout).toMatch(/^loaded 4 rows into ref.exact_values .*0 rejected/);
      const exported = await runCli(['export', 'exact_values'], { cwd: ws.dir, env });
      expect(exported.code, exported.stderr).toBe(0);
      exports.push(exported.stdout);
    }
    expect(exports[1]).toBe(exports[0]);
    expect(exports[0]).toContain('007,Zürich € 漢字 😀,1.5,12345678901234567890123456.123456789012,2024-02-29');
    expect(exports[0]).toContain('2024-03-31T02:30:00.123+09:00');
  });

  it('rejects a value holding a NUL byte as one row on both dialects, and loads the rest, the same bytes', {
    timeout: 240_000,
  }, async () => {
    const mssql = await freshMssqlDatabase();
    const ws = await workspace();
    const file = join(ws.dir, 'nul.csv');
    await writeFile(file, 'code,name\nA,Alpha\nB,bad\u0000value\nC,"with, comma"\n');
    const exports: string[] = [];
    for (const db of [undefined, mssql]) {
      const env = ws.env({ LOG_LEVEL: 'warn', ...(db === undefined ? {} : { REFDATA_DB: db }) });
      const ingested = await runCli(['ingest', file, '--table', 'nul_values', '--max-errors', '1'], {
        cwd: ws.dir,
        env,
      });
      expect(ingested.code, ingested.stderr + ingested.stdout).toBe(0);
      expect(ingested.stdout).toMatch(/^loaded 2 rows into ref.nul_values .*1 rejected/);
      const exported = await runCli(['export', 'nul_values'], { cwd: ws.dir, env });
      exports.push(exported.stdout);
    }
    expect(exports).toEqual(['code,name\nA,Alpha\nC,"with, comma"\n', 'code,name\nA,Alpha\nC,"with, comma"\n']);
  });

  it('widens columns at numbers past the type sample on both dialects, mid-stream, the same bytes', {
    timeout: 240_000,
  }, async () => {
    const mssql = await freshMssqlDatabase();
    const ws = await workspace();
    const file = join(ws.dir, 'late_numbers.csv');
    // 12,000 rows (past SQL Server's 10,000-row bulk loads) fit INT and DECIMAL(38,2); then an
    // 11-digit id, a rate with 6 decimals and a quantity with a fraction.
    const early = Array.from({ length: 12_000 }, (_, i) => `${i + 1},${(i % 100) + 0.25},${i % 7}`).join('\n');
    // Then a rate Excel wrote with an exponent, which needs a seventh decimal.
    await writeFile(file, `id,rate,qty\n${early}\n12345678901,0.123456,2.5\n12001,1.5,3\n12002,1.5E-07,4\n`);
    const exports: string[] = [];
    for (const db of [undefined, mssql]) {
      const env = ws.env({ LOG_LEVEL: 'warn', ...(db === undefined ? {} : { REFDATA_DB: db }) });
      const ingested = await runCli(['ingest', file, '--table', 'late_numbers'], { cwd: ws.dir, env });
      expect(ingested.code, ingested.stderr + ingested.stdout).toBe(0);
      expect(ingested.stdout).toMatch(/^loaded 12,?003 rows into ref.late_numbers .*0 rejected/);
      expect(ingested.stderr).toMatch(/column rate widened from decimal\(38,2\) to decimal\(38,6\) at line 12002/);
      const exported = await runCli(['export', 'late_numbers'], { cwd: ws.dir, env });
      expect(exported.code, exported.stderr).toBe(0);
      exports.push(exported.stdout);
    }
    expect(exports[1]).toBe(exports[0]);
    expect(exports[0]).toMatch(/^id,rate,qty\n1,0.25,0\n/);
    expect(exports[0]).toContain('\n12345678901,0.123456,2.5\n12001,1.5,3\n12002,0.00000015,4\n');
  });
});
