/**
 * Issue 2's acceptance through the built CLI: the example drop folder end to end (1), a file
 * with an unclosed quote (4), and a second version replacing the first with a snapshot (5).
 */
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, listNames, openTestDb, originalName, runCli, sha256File, workspace, writeCsv } from './helpers.js';

const EXPECTED_ROWS: Readonly<Record<string, number>> = {
  currencies: 10,
  countries: 8,
  units_of_measure: 8,
  languages: 5,
};

describe('refdata watch --once over the example drop folder', () => {
  it('loads one ref table per file, tracks each as archived with its sha256, and exports 008 as 008', async () => {
    const ws = await workspace();
    const hashes = new Map<string, string>();
    for (const name of await readdir(EXAMPLES)) {
      await copyFile(join(EXAMPLES, name), join(ws.incoming, name));
      hashes.set(name, await sha256File(join(EXAMPLES, name)));
    }

    const run = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(run.stderr).not.toMatch(/"level":(50|60)/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Processed 4 files: 4 archived, 0 failed');
    expect(run.stdout).toContain(`Database: sqlite:${ws.dbPath}`);
    for (const table of Object.keys(EXPECTED_ROWS)) expect(run.stdout).toContain(`ref.${table}`);

    const db = await openTestDb(ws);
    const tables = await db.listTables();
    expect(Object.fromEntries(tables.map((t) => [t.name, t.rowCount]))).toEqual(EXPECTED_ROWS);

    const files = await db.files.list();
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(f.status).toBe('archived');
      expect(f.sha256).toBe(hashes.get(f.name));
      expect(f.path.startsWith(join(ws.root, 'archive'))).toBe(true);
    }
    const archived = (await listNames(join(ws.root, 'archive'))).map(originalName).sort();
    expect(archived).toEqual([...hashes.keys()].sort());
    expect(await listNames(ws.incoming)).toEqual([]);
    expect(await listNames(join(ws.root, 'processing'))).toEqual([]);

    const exported = await runCli(['export', 'ref.currencies'], { cwd: ws.dir, env: ws.env() });
    expect(exported.code).toBe(0);
    const lines = exported.stdout.split('\n');
    expect(lines[0]).toBe('code,numeric_code,name,minor_units,introduced');
    expect(lines).toContain('ALL,008,Albanian lek,2,1965-07-01');
    expect(lines).toContain('AUD,036,Australian dollar,2,1966-02-14');

    const countries = await runCli(['export', 'countries'], { cwd: ws.dir, env: ws.env() });
    expect(countries.stdout).toContain('AX,ALA,248,Åland Islands,Åland,Mariehamn\n');
    expect(countries.stdout).toContain("CI,CIV,384,Côte d'Ivoire,Republic of Côte d'Ivoire,Yamoussoukro\n");
    expect(countries.stdout).toContain('KR,KOR,410,"Korea, Republic of",Republic of Korea,Seoul\n');
    expect(countries.stdout).toContain('NA,NAM,516,Namibia,Republic of Namibia,Windhoek\n');
    expect(countries.stdout).toContain('SG,SGP,702,Singapore,"Republic of Singapore, ""the Lion City""",Singapore\n');

    const units = await runCli(['export', 'units_of_measure'], { cwd: ws.dir, env: ws.env() });
    expect(units.stdout).toContain('lb,pound,mass,kg,0.45359237\n');
    expect(units.stdout).toContain('°C,degree Celsius,temperature,K,1\n');

    const list = await runCli(['files', '--json'], { cwd: ws.dir, env: ws.env() });
    expect(JSON.parse(list.stdout)).toHaveLength(4);
  });
});

describe('a file with an unclosed quote', () => {
  it('says so when the drop root did not exist (a mistyped --root reads as nothing to do otherwise)', async () => {
    const ws = await workspace();
    const missing = join(ws.dir, 'no', 'such', 'root');
    const run = await runCli(['watch', '--once', '--root', missing], { cwd: ws.dir, env: ws.env() });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/"level":40.*"root":"[^"]*no\/such\/root".*"setBy":"the --root flag".*did not exist/);
    expect(run.stdout).toContain('Processed 0 files');
    const again = await runCli(['watch', '--once', '--root', missing], { cwd: ws.dir, env: ws.env() });
    expect(again.stderr).not.toContain('did not exist');
  });

  it('ends in failed/ with a readable reason, a failed tracking row, the table unchanged, and the next file loaded', async () => {
    const ws = await workspace();
    await writeCsv(join(ws.incoming, 'currencies.csv'), 'code,name', ['ALL,Albanian lek', 'AUD,Australian dollar']);
    const first = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(first.code).toBe(0);

    await writeCsv(join(ws.incoming, 'currencies.csv'), 'code,name', [
      'EUR,Euro',
      'USD,"US dollar',
      'GBP,Pound sterling',
    ]);
    await writeCsv(join(ws.incoming, 'units.csv'), 'code,name', ['m,metre', 'kg,kilogram']);
    const second = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('1 archived, 1 failed');

    const failed = await listNames(join(ws.root, 'failed'));
    const data = failed.filter((n) => !n.endsWith('.error.json') && !n.endsWith('.rejects.csv'));
    expect(data.map(originalName)).toEqual(['currencies.csv']);
    const errorJson = JSON.parse(await readFile(join(ws.root, 'failed', `${data[0]}.error.json`), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(errorJson.code).toMatch(/^INGEST_/);
    expect(String(errorJson.message)).toMatch(/quote/i);
    expect(String(errorJson.message)).toMatch(/line 3/);
    expect(Number.isNaN(Date.parse(String(errorJson.time)))).toBe(false);

    const db = await openTestDb(ws);
    const rows = (await db.files.list()).filter((f) => f.status === 'failed');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'currencies.csv', errorCode: errorJson.code });
    const exported = await runCli(['export', 'currencies'], { cwd: ws.dir, env: ws.env() });
    expect(exported.stdout).toBe('code,name\nALL,Albanian lek\nAUD,Australian dollar\n');
    expect((await db.describeTable('units'))?.rowCount).toBe(2);
  });
});

describe('a second version of a file', () => {
  it('replaces the table atomically and keeps the first version as a bkp snapshot that can be restored', async () => {
    const ws = await workspace();
    await writeCsv(join(ws.incoming, 'currencies_20250101.csv'), 'code,name', [
      'ALL,Albanian lek',
      'AUD,Australian dollar',
    ]);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    await writeCsv(join(ws.incoming, 'currencies_20250201.csv'), 'code,name', [
      'ALL,Albanian lek',
      'AUD,Australian dollar',
      'EUR,Euro',
    ]);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);

    expect((await runCli(['export', 'currencies'], { cwd: ws.dir, env: ws.env() })).stdout).toBe(
      'code,name\nALL,Albanian lek\nAUD,Australian dollar\nEUR,Euro\n',
    );
    const backups = await runCli(['backups', 'currencies', '--json'], { cwd: ws.dir, env: ws.env() });
    const list = JSON.parse(backups.stdout) as {
      snapshot: string;
      rows: number;
      kind: string;
      sourceFile: string | null;
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]?.rows).toBe(2);
    expect(list[0]?.kind).toBe('full');
    const shown = (await runCli(['backups', 'currencies'], { cwd: ws.dir, env: ws.env() })).stdout;
    expect(shown).toMatch(/rows before[\s│]+kind[\s│]+reason/);
    expect(shown).toMatch(/│ 2[\s│]+full[\s│]+replace[\s│]/);

    const unknown = await runCli(['restore', 'ref.currencies', 'no-such-snapshot'], { cwd: ws.dir, env: ws.env() });
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('APP_SNAPSHOT_NOT_FOUND');
    expect(unknown.stderr).toContain('refdata backups currencies');
    const restored = await runCli(['restore', 'ref.currencies', list[0]?.snapshot ?? ''], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(restored.code).toBe(0);
    expect((await runCli(['export', 'currencies'], { cwd: ws.dir, env: ws.env() })).stdout).toBe(
      'code,name\nALL,Albanian lek\nAUD,Australian dollar\n',
    );
    const after = JSON.parse((await runCli(['backups', '--json'], { cwd: ws.dir, env: ws.env() })).stdout) as unknown[];
    expect(after).toHaveLength(2);
  });
});
