/**
 * Operating the service: `health` exit codes, the metrics endpoint, `ingest` exit codes with a
 * held replace and `release`, `show`, `detect --json`, and duplicates through the watcher.
 */
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, listNames, openTestDb, runCli, startCli, waitFor, workspace, writeCsv } from './helpers.js';

describe('refdata health', () => {
  it('exits 5 before init, 0 when healthy, and 1 when a folder, the age limit or the database fails', async () => {
    const ws = await workspace();
    const before = await runCli(['health'], { cwd: ws.dir, env: ws.env() });
    expect(before.code).toBe(5);
    expect(before.stdout).toMatch(/database\s.*FAIL.*No database at/);
    expect(before.stderr).toContain('create it with `refdata init`');

    expect((await runCli(['init'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    const ok = await runCli(['health', '--json'], { cwd: ws.dir, env: ws.env() });
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['database', 'queue depth', 'last success', `folder ${join(ws.root, 'archive')}`]),
    );

    const noSuccess = await runCli(['health', '--max-age', '60'], { cwd: ws.dir, env: ws.env() });
    expect(noSuccess.code).toBe(1);
    expect(noSuccess.stderr).toContain('last success');

    await copyFile(join(EXAMPLES, 'currencies.csv'), join(ws.incoming, 'currencies.csv'));
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    expect(
      (await runCli(['health', '--max-age', '3600', '--max-queue', '0'], { cwd: ws.dir, env: ws.env() })).code,
    ).toBe(0);

    await writeCsv(join(ws.incoming, 'waiting.csv'), 'a', ['1']);
    expect((await runCli(['health', '--max-queue', '0'], { cwd: ws.dir, env: ws.env() })).code).toBe(1);
    await rm(join(ws.incoming, 'waiting.csv'));

    await rm(join(ws.root, 'held'), { recursive: true });
    const folder = await runCli(['health'], { cwd: ws.dir, env: ws.env() });
    expect(folder.code).toBe(1);
    expect(folder.stdout).toMatch(/held\s.*FAIL/);

    const unreachable = await runCli(['health'], {
      cwd: ws.dir,
      env: ws.env({ REFDATA_DB: 'mssql://loader@127.0.0.1:9/refdata', DB_MAX_RETRIES: '0' }),
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toMatch(/database\s.*FAIL/);
  });
});

describe('the metrics endpoint', () => {
  it('serves Prometheus text and /healthz on 127.0.0.1 while the watcher runs', async () => {
    const ws = await workspace();
    await copyFile(join(EXAMPLES, 'currencies.csv'), join(ws.incoming, 'currencies.csv'));
    const watcher = startCli(['watch', '--metrics-port', '0'], { cwd: ws.dir, env: ws.env() });
    const [, url] = await watcher.waitForOutput(/"url":"(http:\/\/[^"]+)\/metrics"/);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor(async () => (await listNames(join(ws.root, 'archive'))).length === 1, 20_000, 'the archived file');
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text.includes('refdata_files_total{status="archived"} 1') ? text : undefined;
    });
    expect(metrics).toContain('refdata_rows_loaded_total 10');
    expect(metrics).toMatch(/refdata_detection_seconds_count 1\n/);
    expect(metrics).toMatch(/refdata_db_operation_seconds_count\{operation="session.commit"\} 1\n/);
    expect(metrics).toMatch(/refdata_db_operation_seconds_count\{operation="files.claimNew"\} \d+/);
    expect(metrics).toContain('refdata_queue_depth 0');
    expect(metrics).toContain('refdata_files_in_flight 0');
    expect(metrics).toMatch(/refdata_last_success_timestamp_seconds \d+/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, database: 'reachable' });
    watcher.child.kill('SIGTERM');
    expect((await watcher.exited).code).toBe(0);
  });
});

describe('refdata ingest', () => {
  it('exits 0 when loaded, 3 when held (then release applies it), 1 when the file fails', async () => {
    const ws = await workspace();
    const file = join(ws.dir, 'currencies.csv');
    await copyFile(join(EXAMPLES, 'currencies.csv'), file);
    const loaded = await runCli(['ingest', file], { cwd: ws.dir, env: ws.env() });
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(/loaded 10 rows into ref\.currencies \(replace\)/);

    const small = join(ws.dir, 'currencies_20250301.csv');
    await writeCsv(small, 'code,numeric_code,name,minor_units,introduced', ['EUR,978,Euro,2,1999-01-01']);
    const held = await runCli(['ingest', small], { cwd: ws.dir, env: ws.env() });
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(/refdata release (\d+)/);
    const heldId = /refdata release (\d+)/.exec(held.stdout)?.[1] ?? '';
    expect((await runCli(['export', 'currencies'], { cwd: ws.dir, env: ws.env() })).stdout.split('\n')).toHaveLength(
      12,
    );

    const released = await runCli(['release', heldId], { cwd: ws.dir, env: ws.env() });
    expect(released.code, released.stderr).toBe(0);
    expect((await runCli(['export', 'currencies'], { cwd: ws.dir, env: ws.env() })).stdout).toBe(
      'code,numeric_code,name,minor_units,introduced\nEUR,978,Euro,2,1999-01-01\n',
    );
    const show = JSON.parse((await runCli(['show', heldId, '--json'], { cwd: ws.dir, env: ws.env() })).stdout) as {
      file: { status: string };
      audit: { step: string }[];
    };
    expect(show.audit.map((a) => a.step)).toContain('release');
    // The held row is released (no longer waiting), and a second release is refused.
    expect(show.file.status).toBe('released');
    const stillHeld = await runCli(['files', '--status', 'held', '--json'], { cwd: ws.dir, env: ws.env() });
    expect(JSON.parse(stillHeld.stdout)).toEqual([]);
    const again = await runCli(['release', heldId], { cwd: ws.dir, env: ws.env() });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already released as file \d+/);

    const bad = join(ws.dir, 'bad.csv');
    await writeCsv(bad, 'code,minor_units', ['A,1', 'B,2', 'C,x', 'D,4']);
    const failed = await runCli(['ingest', bad, '--table', 'minor'], {
      cwd: ws.dir,
      env: ws.env({ INGEST_TYPE_SAMPLE_ROWS: '2' }),
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('APP_FILE_FAILED');

    const tolerated = await runCli(['ingest', bad, '--table', 'minor', '--max-errors', '5', '--json'], {
      cwd: ws.dir,
      env: ws.env({ INGEST_TYPE_SAMPLE_ROWS: '2' }),
    });
    expect(tolerated.code, tolerated.stderr).toBe(0);
    const result = JSON.parse(tolerated.stdout) as { fileId: number; rowsLoaded: number; rowsRejected: number };
    expect(result).toMatchObject({ rowsLoaded: 3, rowsRejected: 1 });
    const shown = await runCli(['show', String(result.fileId)], { cwd: ws.dir, env: ws.env() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Rejected rows');
    expect(shown.stdout).toMatch(/│ 4\s+│ minor_units\s+│ x/);
    expect(shown.stdout).toContain('Audit trail');
  });
});

describe('refdata show', () => {
  it('reports the change summary of a keyed load', async () => {
    const ws = await workspace();
    const v1 = join(ws.dir, 'rates_20250101.csv');
    const v2 = join(ws.dir, 'rates_20250102.csv');
    await writeCsv(v1, 'code,rate', ['EUR,1.0000', 'USD,1.0850', 'GBP,0.8400']);
    await writeCsv(v2, 'code,rate', ['EUR,1.0000', 'USD,1.0900', 'GBP,0.8400', 'CHF,0.9400']);
    expect(
      (await runCli(['ingest', v1, '--mode', 'upsert', '--key', 'code'], { cwd: ws.dir, env: ws.env() })).code,
    ).toBe(0);
    const second = await runCli(['ingest', v2, '--mode', 'upsert', '--key', 'code', '--json'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as { fileId: number; changes: unknown };
    expect(result.changes).toMatchObject({ added: 1, changed: 1 });
    const shown = await runCli(['show', String(result.fileId)], { cwd: ws.dir, env: ws.env() });
    expect(shown.stdout).toMatch(/changes\s+│ \+1 added, −0 removed, ~1 changed/);
    const missingKey = await runCli(['ingest', v2, '--mode', 'upsert'], { cwd: ws.dir, env: ws.env() });
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toContain('--mode upsert needs key columns');
  });
});

describe('refdata detect', () => {
  it('prints the FormatInfo as JSON with --json', async () => {
    const ws = await workspace();
    const json = await runCli(['detect', join(EXAMPLES, 'units_of_measure.csv'), '--json'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(json.code).toBe(0);
    const info = JSON.parse(json.stdout) as { delimiter: { value: string }; columns: { name: string }[] };
    expect(info.delimiter.value).toBe(';');
    expect(info.columns.map((c) => c.name)).toEqual(['code', 'name', 'quantity', 'si_unit', 'factor_to_si']);
  });
});

describe('the watcher and duplicates', () => {
  it('records a file whose content was already loaded into the same table as duplicate', async () => {
    const ws = await workspace();
    await copyFile(join(EXAMPLES, 'currencies.csv'), join(ws.incoming, 'currencies.csv'));
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    await copyFile(join(EXAMPLES, 'currencies.csv'), join(ws.incoming, 'currencies_20250102.csv'));
    const again = await runCli(['watch', '--once', '--json'], { cwd: ws.dir, env: ws.env() });
    expect(JSON.parse(again.stdout)).toMatchObject({ archived: 0, duplicate: 1 });
    const db = await openTestDb(ws);
    expect((await db.files.list({ status: 'duplicate' })).map((f) => f.name)).toEqual(['currencies_20250102.csv']);
  });
});
