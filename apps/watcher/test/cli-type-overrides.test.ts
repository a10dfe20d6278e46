/**
 * A type override for a column the file does not have is an error, never ignored: `--type` on
 * the command line is a usage error naming the column and the closest real one (nothing is
 * recorded or written), and a dataset's `types` fails the file with the same facts (issue 15,
 * item 4).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace, writeCsv } from './helpers.js';

describe('a type override for a column that does not exist', () => {
  it('`ingest --type` is a usage error naming the column and the closest one; nothing is recorded', async () => {
    const ws = await workspace();
    const csv = join(ws.dir, 'prices.csv');
    await writeCsv(csv, 'code,amount', ['A,1', 'B,2']);
    const r = await runCli(['ingest', csv, '--type', 'amuont=integer'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--type amuont=integer: prices.csv has no column "amuont"; did you mean "amount"? Its columns: code, amount.',
    );
    expect(existsSync(ws.dbPath)).toBe(false);
    // A real column (by name, in any letter case detection accepts, or by index) still works.
    const ok = await runCli(['ingest', csv, '--type', 'amount=decimal', '--type', '0=text'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('`detect --type` and `convert --type` are usage errors too, and convert writes nothing', async () => {
    const ws = await workspace();
    const csv = join(ws.dir, 'prices.csv');
    await writeCsv(csv, 'code,amount', ['A,1']);
    const detect = await runCli(['detect', csv, '--type', 'nosuch=integer'], { cwd: ws.dir, env: ws.env() });
    expect(detect.code).toBe(2);
    expect(detect.stderr).toMatch(
      /--type nosuch=integer: prices\.csv has no column "nosuch"; did you mean "(code|amount)"\?/,
    );
    const out = join(ws.dir, 'out');
    const convert = await runCli(['convert', csv, '--out-dir', out, '--type', 'CODE=text'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(convert.code).toBe(2);
    expect(convert.stderr).toContain(`--type CODE=text: ${csv} has no column "CODE"; did you mean "code"?`);
    expect(existsSync(join(out, 'prices.csv'))).toBe(false);
  });

  it("a dataset's types naming a missing column fail the watched file with the column and the closest one", async () => {
    const ws = await workspace();
    await writeFile(
      join(ws.dir, 'refdata.config.json'),
      JSON.stringify({ datasets: { prices: { types: { amuont: 'integer' } } } }),
    );
    await writeCsv(join(ws.incoming, 'prices.csv'), 'code,amount', ['A,1']);
    const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 failed');
    const failed = await readdir(join(ws.root, 'failed'));
    const report = failed.find((n) => n.endsWith('.error.json'));
    expect(report).toBeDefined();
    const error = JSON.parse(await readFile(join(ws.root, 'failed', report as string), 'utf8')) as {
      code: string;
      message: string;
    };
    expect(error.code).toBe('INGEST_OPTIONS_INVALID');
    expect(error.message).toContain('"amuont"');
    expect(error.message).toContain('"amount"');
  });
});
