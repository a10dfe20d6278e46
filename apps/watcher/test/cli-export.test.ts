/**
 * `refdata export`: RFC 4180 exactly as issue 2 says, checked byte for byte on a table written
 * through @refdata/db's public API (so NULL and the empty string are both present).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnDef } from '@refdata/db';
import { describe, expect, it } from 'vitest';
import { openTestDb, runCli, workspace } from './helpers.js';

const COLUMNS: readonly ColumnDef[] = [
  { name: 'id', type: { kind: 'int' }, nullable: false },
  { name: 'label', type: { kind: 'text' }, nullable: true },
  { name: 'big', type: { kind: 'bigint' }, nullable: true },
  { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
  { name: 'active', type: { kind: 'boolean' }, nullable: true },
  { name: 'valid_from', type: { kind: 'date' }, nullable: true },
  { name: 'stamp', type: { kind: 'datetime', offset: true, fractionDigits: 3 }, nullable: true },
];

describe('refdata export', () => {
  it('writes NULL empty and unquoted, the empty string as "", and canonical values, with LF', async () => {
    const ws = await workspace();
    const db = await openTestDb(ws);
    const load = await db.beginLoad({ table: 'samples', columns: COLUMNS });
    await load.write([
      {
        line: 2,
        values: [
          1,
          '',
          9007199254740993n,
          '1234567890123456789012345678.0123456789',
          true,
          '2025-01-31',
          '2025-01-31T23:59:59.999Z',
        ],
      },
      { line: 3, values: [2, null, null, null, null, null, null] },
      {
        line: 4,
        values: [
          3,
          'say "hi", then\nleave',
          -1n,
          '-0.5000000000',
          false,
          '1999-12-31',
          '2025-06-01T00:00:00.000+02:00',
        ],
      },
    ]);
    await load.validate();
    await load.commit();
    await db.close();
    // Decimals read back in minimal form (-0.5000000000 → -0.5), the same on SQL Server.
    const expected =
      'id,label,big,amount,active,valid_from,stamp\n' +
      '1,"",9007199254740993,1234567890123456789012345678.0123456789,true,2025-01-31,2025-01-31T23:59:59.999Z\n' +
      '2,,,,,,\n' +
      '3,"say ""hi"", then\nleave",-1,-0.5,false,1999-12-31,2025-06-01T00:00:00.000+02:00\n';

    const toStdout = await runCli(['export', 'samples'], { cwd: ws.dir, env: ws.env() });
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(expected);

    const out = join(ws.dir, 'out', 'samples.csv');
    const toFile = await runCli(['export', 'ref.samples', '--out', out], { cwd: ws.dir, env: ws.env() });
    expect(toFile.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(expected);
    expect((await stat(out)).mode & 0o002).toBe(0);
  });

  it('exits 5 with the list of tables when the table does not exist', async () => {
    const ws = await workspace();
    const db = await openTestDb(ws);
    const load = await db.beginLoad({ table: 'currencies', columns: [COLUMNS[0] as ColumnDef] });
    await load.write([{ line: 2, values: [1] }]);
    await load.commit();
    const r = await runCli(['export', 'currency'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('There is no table ref.currency. Tables: currencies.');
    expect(r.stdout).toBe('');
  });
});
