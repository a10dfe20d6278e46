/**
 * `run()` in-process: every command end to end on a real SQLite file and real folders, with the
 * process streams captured (the spawned-process tests in test/ cover signals, crashes and
 * concurrency; these cover the command code paths and the exit-code mapping quickly).
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXAMPLE_FIXTURES, makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from './program.js';

const EXAMPLES = EXAMPLE_FIXTURES;

async function harness() {
  const { dir, cleanup } = await makeTempDir('refdata-run-');
  onTestFinished(cleanup);
  const root = join(dir, 'drop');
  const env = {
    REFDATA_ROOT: root,
    REFDATA_DB: `sqlite:${join(dir, 'refdata.db')}`,
    MONITOR_INTERVAL: '0.1',
    STABILITY_CHECKS: '2',
    LOG_LEVEL: 'silent',
    NO_COLOR: '1',
  };
  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      env,
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  };
  return { dir, root, cli };
}

describe('run', () => {
  it('init, watch --once, files, show, tables, export and backups', async () => {
    const { root, cli } = await harness();
    const init = await cli('init');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(join(root, 'incoming'));
    for (const name of await readdir(EXAMPLES)) await copyFile(join(EXAMPLES, name), join(root, 'incoming', name));
    await writeFile(join(root, 'incoming', 'broken.csv'), 'a,b\n1,"open\n');

    const watch = await cli('watch', '--once');
    expect(watch.code).toBe(0);
    expect(watch.stdout).toContain('Processed 5 files: 4 archived, 1 failed');
    expect(watch.stdout).toMatch(/failed broken\.csv: INGEST_\w+/);

    const files = await cli('files', '--status', 'failed');
    expect(files.stdout).toMatch(/broken\.csv\s+│ failed/);
    const listed = JSON.parse((await cli('files', '--json')).stdout) as { id: number; name: string }[];
    const currencies = listed.find((f) => f.name === 'currencies.csv');
    const show = await cli('show', String(currencies?.id));
    expect(show.stdout).toContain('File ');
    expect(show.stdout).toContain('ref.currencies');
    expect(show.stdout).toContain('Audit trail');
    expect((await cli('show', '999')).code).toBe(5);
    expect((await cli('show', 'abc')).code).toBe(2);

    const tables = await cli('tables');
    expect(tables.stdout).toMatch(/ref\.currencies\s+│ 10/);
    expect(JSON.parse((await cli('tables', '--json')).stdout)).toHaveLength(4);
    expect((await cli('export', 'currencies')).stdout).toContain('ALL,008,Albanian lek,2,1965-07-01\n');
    const exported = await cli('export', 'ref.countries', '--out', join(root, '..', 'out', 'countries.csv'));
    expect(exported.stderr).toContain('wrote 8 row(s) of ref.countries');
    expect(await readFile(join(root, '..', 'out', 'countries.csv'), 'utf8')).toContain('"Korea, Republic of"');
    expect((await cli('export', 'nothing')).code).toBe(5);
    const idle = JSON.parse((await cli('watch', '--once', '--json')).stdout) as Record<string, unknown>;
    expect(idle).toMatchObject({ archived: 0, failed: 0, files: [], database: expect.stringMatching(/^sqlite:/) });
    expect((await cli('backups')).stdout).toContain('No snapshots yet.');
    expect((await cli('backups', 'currencies', '--json')).stdout).toBe('[]\n');
  });

  it('ingest: loaded, duplicate, held, release, restore and failures with their exit codes', async () => {
    const { dir, cli } = await harness();
    const v1 = join(dir, 'currencies.csv');
    await copyFile(join(EXAMPLES, 'currencies.csv'), v1);
    const loaded = await cli('ingest', v1);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(/loaded 10 rows into ref\.currencies/);
    const dup = await cli('ingest', v1);
    expect(dup.stdout).toMatch(/duplicate currencies\.csv/);
    expect(dup.stderr).toContain('--reload');
    expect((await cli('ingest', v1, '--reload')).stdout).toMatch(/loaded 10 rows/);

    const v2 = join(dir, 'currencies_20250201.csv');
    await writeFile(v2, 'code,numeric_code,name,minor_units,introduced\nEUR,978,Euro,2,1999-01-01\n');
    const held = await cli('ingest', v2);
    expect(held.code).toBe(3);
    const id = /refdata release (\d+)/.exec(held.stdout)?.[1] ?? '';
    const released = await cli('release', id, '--json');
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)).toMatchObject({ releasedFileId: Number(id), rowsLoaded: 1 });
    expect((await cli('release', id)).code).toBe(1);

    const backups = JSON.parse((await cli('backups', 'currencies', '--json')).stdout) as {
      snapshot: string;
      rows: number;
    }[];
    const ten = backups.find((b) => b.rows === 10);
    const restored = await cli('restore', 'currencies', ten?.snapshot ?? '');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/restored ref\.currencies .* \(10 rows\); the previous contents are snapshot/);
    expect((await cli('restore', 'currencies', 'nope')).code).toBe(5);

    await writeFile(join(dir, 'bad.csv'), 'a,b\n1,"open\n');
    const bad = await cli('ingest', join(dir, 'bad.csv'), '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: 'failed', code: expect.stringMatching(/^INGEST_/) });
    expect((await cli('ingest', join(dir, 'absent.csv'))).code).toBe(5);
    expect((await cli('ingest', v1, '--key', ' , ')).code).toBe(2);
    expect((await cli('ingest', v1, '--max-errors', '-1')).code).toBe(2);
  });

  it('a file the watcher holds lies in held/ with NAME.held.json; release archives it and drops the reason', async () => {
    const { root, cli } = await harness();
    await cli('init');
    await writeFile(join(root, 'incoming', 'regions.csv'), 'code,name\nEU,Europe\nAS,Asia\nAF,Africa\n');
    expect((await cli('watch', '--once')).stdout).toContain('1 archived');
    await writeFile(join(root, 'incoming', 'regions_20250201.csv'), 'code,name\n');
    expect((await cli('watch', '--once')).stdout).toContain('0 failed, 0 duplicate, 1 held');
    const held = (await readdir(join(root, 'held'))).sort();
    expect(held).toEqual([
      expect.stringMatching(/^regions_20250201\..*\.csv$/),
      expect.stringMatching(/\.csv\.held\.json$/),
    ]);
    const report = JSON.parse(await readFile(join(root, 'held', held[1] ?? ''), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ state: 'held', table: 'ref.regions', release: `refdata release ${report.fileId}` });
    expect(String(report.message)).toContain('would empty ref.regions (3 rows)');
    expect((await cli('release', String(report.fileId))).code).toBe(0);
    expect(await readdir(join(root, 'held'))).toEqual([]);
    expect((await cli('export', 'regions')).stdout).toBe('code,name\n');
  });

  it('logs each monitor problem once (the monitor logs it; the app does not repeat it)', async () => {
    const { root, cli } = await harness();
    await cli('init');
    await mkdir(join(root, 'incoming', 'folder.csv'));
    const watch = await cli('--log-level', 'warn', 'watch', '--once');
    expect(watch.code).toBe(0);
    expect(watch.stderr.split('\n').filter((l) => l.includes('MONITOR_NOT_A_FILE'))).toHaveLength(1);
  });

  it('detect, convert and health', async () => {
    const { dir, root, cli } = await harness();
    const detect = await cli('detect', join(EXAMPLES, 'units_of_measure.csv'));
    expect(detect.code).toBe(0);
    expect(detect.stdout).toMatch(/delimiter\s+│ ";"/);
    expect(detect.stdout).toMatch(/factor_to_si\s+│\s+│ decimal\(\d+,\d+\) \(',' decimals\)/);
    const codes = await cli('detect', join(EXAMPLES, 'currencies.csv'));
    expect(codes.stdout).toMatch(/numeric_code\s+│\s+│ text/);

    const out = join(dir, 'converted');
    const convert = await cli(
      'convert',
      join(EXAMPLES, 'countries.csv'),
      join(EXAMPLES, 'units_of_measure.csv'),
      '--out-dir',
      out,
    );
    expect(convert.code).toBe(0);
    expect(await readFile(join(out, 'units_of_measure.csv'), 'utf8')).toContain('ft,foot,length,m,"0,3048"\n');
    expect((await cli('convert', join(dir, 'missing.csv'), '--out-dir', out)).code).toBe(1);
    expect(await readFile(join(out, 'missing.csv'), 'utf8')).toBe('Application Error\n');

    expect((await cli('health')).code).toBe(5);
    await cli('init');
    const health = await cli('health', '--json');
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ ok: true, queue: { incoming: 0, processing: 0 } });
    await mkdir(join(root, 'incoming', 'dir.csv'));
    expect((await cli('health', '--max-queue', '0')).code).toBe(0);
    expect((await cli('health', '--max-age', '10', '--json')).code).toBe(1);
  });

  it('maps usage and configuration errors to exit 2 and prints help with exit 0', async () => {
    const { cli } = await harness();
    expect((await cli('nonsense')).code).toBe(2);
    expect((await cli('--log-level', 'loud', 'files')).code).toBe(2);
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: refdata');
    expect((await cli('--version')).stdout).toMatch(/\d+\.\d+\.\d+/);
    const config = await cli('--metrics-port', 'x', 'files');
    expect(config.code).toBe(2);
    expect(config.stderr).toContain('--metrics-port (command-line flag): got "x"');
  });
});

describe('run on a terminal', () => {
  it('watch shows each file waiting n/N and its done line; ingest shows its bar and a summary', async () => {
    const { dir, root } = await harness();
    const env = {
      REFDATA_ROOT: root,
      REFDATA_DB: `sqlite:${join(dir, 'refdata.db')}`,
      MONITOR_INTERVAL: '0.2',
      STABILITY_CHECKS: '3',
      LOG_LEVEL: 'info',
      NO_COLOR: '1',
    };
    const tty = async (...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await run(argv, {
        env,
        cwd: dir,
        stdout: { write: (s: string) => (stdout += s), isTTY: true },
        stderr: { write: (s: string) => (stderr += s), isTTY: true, columns: 120 } as never,
      });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
      return { code, stdout, stderr: stderr.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '') };
    };
    await tty('init');
    const rows = Array.from(
      { length: 5_000 },
      (_, i) => `C${i},${i}.5,2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
    );
    await writeFile(join(root, 'incoming', 'rates.csv'), `code,rate,day\n${rows.join('\n')}\n`);
    await writeFile(join(root, 'incoming', 'broken.csv'), 'a,b\n1,"open\n');
    const watch = await tty('watch', '--once');
    expect(watch.code).toBe(0);
    expect(watch.stderr).toMatch(/rates\.csv +waiting until stable \d\/3/);
    expect(watch.stdout + watch.stderr).toContain('rates.csv');
    expect(watch.stdout).toContain('1 archived, 1 failed');

    await writeFile(join(dir, 'units.csv'), `code,rate,day\n${rows.join('\n')}\n`);
    const ingest = await tty('ingest', join(dir, 'units.csv'));
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toMatch(/loaded 5,?000 rows into ref\.units/);
  });
});
