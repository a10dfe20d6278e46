/**
 * Issue 4 "overrides for every part": a user who knows the format says so on the command line,
 * and `detect`, `ingest` and `convert` read the file that way.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTestDb, runCli, workspace } from './helpers.js';

describe('format overrides on the command line', () => {
  it('ingest reads a headerless, Windows-1252, pipe-delimited file with a title line as told', async () => {
    const ws = await workspace();
    const file = join(ws.dir, 'codes.txt');
    // "Liste des codes" title, then rows without a header; 0xE9 is é and 0x80 is € in Windows-1252.
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from('Liste des codes\n008|Caf'),
        Buffer.from([0xe9]),
        Buffer.from('|1,50\n036|'),
        Buffer.from([0x80]),
        Buffer.from('|2,00\n'),
      ]),
    );
    const args = ['--no-header', '--skip-lines', '1', '--delimiter', 'pipe', '--encoding', 'windows-1252'];
    const loaded = await runCli(['ingest', file, '--table', 'codes', ...args, '--type', 'col_3=text'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(loaded.code, loaded.stderr).toBe(0);
    const db = await openTestDb(ws);
    const rows: unknown[] = [];
    for await (const row of db.readTable('codes')) rows.push(row);
    expect(rows).toEqual([
      ['008', 'Café', '1,50'],
      ['036', '€', '2,00'],
    ]);

    const detected = await runCli(['detect', file, '--json', ...args], { cwd: ws.dir, env: ws.env() });
    expect(detected.code).toBe(0);
    const format = JSON.parse(detected.stdout) as { delimiter: { value: string; overridden: boolean } };
    expect(format.delimiter).toMatchObject({ value: '|', overridden: true });

    const out = join(ws.dir, 'out.csv');
    const converted = await runCli(['convert', file, '--out', out, ...args], { cwd: ws.dir, env: ws.env() });
    expect(converted.code, converted.stderr).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('008,Café,"1,50"\n036,€,"2,00"\n');
  });

  it('refuses a wrong override before doing anything', async () => {
    const ws = await workspace();
    const bad = await runCli(['ingest', join(ws.dir, 'x.csv'), '--type', 'price=money'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('COLUMN=KIND');
  });
});
