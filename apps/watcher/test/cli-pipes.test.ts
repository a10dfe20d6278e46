/**
 * Commands that write to stdout deliver every byte through a real pipe: to a reader that keeps
 * up, to a slow reader, and, when the reader closes early (EPIPE), they stop quietly with exit
 * code 141 because the output is incomplete (issue 15, item 1).
 */
import { spawn } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnDef } from '@refdata/db';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, openTestDb, runCli, sleep, type Workspace, workspace, writeCsv } from './helpers.js';

const ROWS = 200_000;

/** A 200,000-row table (about 6 MB of CSV), written through @refdata/db's public API. */
async function bigTable(ws: Workspace): Promise<void> {
  const db = await openTestDb(ws);
  const columns: ColumnDef[] = [
    { name: 'code', type: { kind: 'text' }, nullable: false },
    { name: 'name', type: { kind: 'text' }, nullable: true },
    { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true },
  ];
  const load = await db.beginLoad({ table: 'big', columns });
  for (let start = 0; start < ROWS; start += 10_000) {
    const rows = [];
    for (let i = start; i < start + 10_000; i++) {
      rows.push({ line: i + 2, values: [`C${String(i).padStart(6, '0')}`, `name ${i}, "quoted"`, `${i}.25`] });
    }
    await load.write(rows);
  }
  await load.validate();
  await load.commit();
  await db.close();
}

/** The result of a run whose stdout is read through a pipe by `reader`. */
interface PipedRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs the built CLI with stdout on a real pipe. `slow`: the reader pauses after every chunk, so
 * the pipe fills and the CLI must wait for it. `closeAfter`: the reader closes the pipe after
 * that many bytes (like `| head -c N`).
 */
function runPiped(
  args: readonly string[],
  ws: Workspace,
  reader: { readonly slow?: boolean; readonly closeAfter?: number },
): Promise<PipedRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ws.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...ws.env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const chunks: Buffer[] = [];
  let received = 0;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const stdout = child.stdout;
  stdout.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    if (reader.closeAfter !== undefined && received >= reader.closeAfter) {
      stdout.destroy();
      return;
    }
    if (reader.slow === true) {
      stdout.pause();
      void sleep(5).then(() => stdout.resume());
    }
  });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

describe('stdout through a pipe', () => {
  it('export delivers a 200,000-row table whole to a slow reader, byte for byte as --out writes it', async () => {
    const ws = await workspace();
    await bigTable(ws);
    const file = join(ws.dir, 'big.csv');
    const toFile = await runCli(['export', 'big', '--out', file], { cwd: ws.dir, env: ws.env() });
    expect(toFile.code).toBe(0);
    const expected = await readFile(file);
    expect(expected.toString('utf8').split('\n')).toHaveLength(ROWS + 2);

    const fast = await runPiped(['export', 'big'], ws, {});
    expect(fast.code).toBe(0);
    expect(fast.stdout.length).toBe(expected.length);
    expect(fast.stdout.equals(expected)).toBe(true);

    const slow = await runPiped(['export', 'big'], ws, { slow: true });
    expect(slow.code).toBe(0);
    expect(slow.stdout.equals(expected)).toBe(true);
    expect(slow.stderr).toBe('');
  });

  it('convert --out - and --out /dev/stdout, and export --out /dev/stdout, write into the pipe and leave /dev/stdout a link', async () => {
    const ws = await workspace();
    await bigTable(ws);
    const file = join(ws.dir, 'big.csv');
    expect((await runCli(['export', 'big', '--out', file], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    const expected = await readFile(file);
    for (const args of [
      ['export', 'big', '--out', '/dev/stdout'],
      ['convert', file, '--out', '-'],
      ['convert', file, '--out', '/dev/stdout'],
    ]) {
      const r = await runPiped(args, ws, { slow: true });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.equals(expected), args.join(' ')).toBe(true);
    }
    // A rename onto /dev/stdout would have replaced the link (for every process) with a file.
    expect(lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
  });

  it('stops quietly with exit code 141 when the reader closes the pipe early', async () => {
    const ws = await workspace();
    await bigTable(ws);
    const r = await runPiped(['export', 'big'], ws, { closeAfter: 100 });
    expect(r.code).toBe(141);
    expect(r.stdout.toString('utf8')).toMatch(/^code,name,amount\nC000000,/);
    // Quietly: no error report, no stack trace.
    expect(r.stderr).toBe('');
  });

  it('show --json delivers a large report whole to a slow reader', async () => {
    const ws = await workspace();
    const rows: string[] = [];
    for (let i = 0; i < 20_000; i++) rows.push(i % 2 === 0 ? `K${i},${i}` : `K${i},not a number ${i}`);
    const csv = join(ws.dir, 'amounts.csv');
    await writeCsv(csv, 'code,amount', ['K-1,1', ...rows]);
    const ingest = await runCli(['ingest', csv, '--type', 'amount=integer', '--max-errors', '100000'], {
      cwd: ws.dir,
      env: ws.env(),
    });
    expect(ingest.code, ingest.stderr).toBe(0);
    const r = await runPiped(['show', '1', '--json', '--rejects', '20000'], ws, { slow: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1_000_000);
    const report = JSON.parse(r.stdout.toString('utf8')) as { rejects: unknown[] };
    expect(report.rejects).toHaveLength(10_000);
  });
});
