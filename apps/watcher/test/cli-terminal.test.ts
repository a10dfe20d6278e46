/**
 * On a terminal (a real pseudo-terminal from util-linux `script`): `ingest` and `watch` show each
 * file's state, the progress bar follows the reader several times a second, and log lines print
 * above the rows, never into a bar (issue 15, items 6 and 7). Off a terminal the summary of
 * `watch --once` lists every held file with its reason and its release command (item 8).
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, runCli, type Workspace, workspace, writeCsv } from './helpers.js';

/** Runs the built CLI on a 120×40 pseudo-terminal; resolves with everything it drew. */
async function onTerminal(args: readonly string[], ws: Workspace, env: Record<string, string>): Promise<string> {
  const transcript = join(ws.dir, 'terminal.out');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols 120 rows 40; exec ${[process.execPath, CLI, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, transcript], {
    cwd: ws.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise((resolve) => child.on('close', resolve));
  return readFile(transcript, 'utf8');
}

/** What the terminal showed, cut where the cursor went back to the start of a line. */
function fragments(transcript: string): string[] {
  return (
    transcript
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the subject.
      .split(/\r|\n|\u001b\[1G|\u001b\[\d*A/)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the subject.
      .map((f) => f.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''))
      .filter((f) => f.trim() !== '')
  );
}

/** The transcript without terminal escapes (colour, cursor moves). */
function plain(transcript: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are the subject.
  return transcript.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** Percentages a bar showed while loading (neither 0 nor 100). */
function midwayPercentages(transcript: string): Set<number> {
  const seen = new Set<number>();
  for (const f of fragments(transcript)) {
    const m = /[█░]+\s+(\d+)%/.exec(f);
    const pct = Number(m?.[1]);
    if (m !== null && pct > 0 && pct < 100) seen.add(pct);
  }
  return seen;
}

async function bigCsv(path: string, rows: number): Promise<void> {
  const lines = ['code,name,amount'];
  for (let i = 0; i < rows; i++) lines.push(`C${String(i).padStart(7, '0')},name ${i},${i}.25`);
  await writeFile(path, `${lines.join('\n')}\n`);
}

describe('on a terminal', () => {
  it('ingest moves its bar with the reader (not only every INGEST_PROGRESS_INTERVAL) and logs above it', async () => {
    const ws = await workspace();
    const file = join(ws.dir, 'big.csv');
    await bigCsv(file, 600_000);
    const shown = await onTerminal(['ingest', file], ws, ws.env({ LOG_LEVEL: 'info', INGEST_PROGRESS_INTERVAL: '60' }));
    expect(plain(shown)).toMatch(/loaded 600,000 rows into ref\.big/);
    // With one progress event a minute, only the reader's position can move the bar midway.
    expect(midwayPercentages(shown).size).toBeGreaterThanOrEqual(3);
    const all = fragments(shown);
    expect(all.some((f) => f.includes('ingestion started'))).toBe(true);
    // No log text ever shares a line with a bar.
    const mixed = all.filter((f) => /[█░]{3}/.test(f) && /INFO|ingestion|component/.test(f));
    expect(mixed).toEqual([]);
  });

  it('watch shows each file waiting, loading with a bar, then done', async () => {
    const ws = await workspace();
    await bigCsv(join(ws.incoming, 'big.csv'), 600_000);
    await writeCsv(join(ws.incoming, 'small.csv'), 'code', ['A']);
    const shown = await onTerminal(
      ['watch', '--once'],
      ws,
      ws.env({ LOG_LEVEL: 'info', MONITOR_INTERVAL: '0.3', STABILITY_CHECKS: '3', INGEST_PROGRESS_INTERVAL: '60' }),
    );
    const all = fragments(shown);
    expect(all.some((f) => /big\.csv\s+waiting until stable/.test(f))).toBe(true);
    expect(midwayPercentages(shown).size).toBeGreaterThanOrEqual(2);
    expect(all.some((f) => f.includes('✓ big.csv → ref.big: 600,000 rows'))).toBe(true);
    expect(all.some((f) => f.endsWith('✓ small.csv → ref.small: 1 row'))).toBe(true);
    expect(all.filter((f) => /[█░]{3}/.test(f) && /INFO|component/.test(f))).toEqual([]);
    expect(plain(shown)).toContain('Processed 2 files: 2 archived');
  });
});

describe('the summary of watch --once', () => {
  it('lists each held file with its reason and the exact release command', async () => {
    const ws = await workspace();
    await writeCsv(
      join(ws.incoming, 'rates.csv'),
      'code,rate',
      Array.from({ length: 10 }, (_, i) => `K${i},${i}`),
    );
    await writeCsv(join(ws.incoming, 'units.csv'), 'code', ['m', 'kg', 's']);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    await writeCsv(join(ws.incoming, 'rates.csv'), 'code,rate', ['K1,1']);
    await writeCsv(join(ws.incoming, 'units.csv'), 'code', []);
    const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 held');
    const files = JSON.parse(
      (await runCli(['files', '--json', '--status', 'held'], { cwd: ws.dir, env: ws.env() })).stdout,
    ) as {
      id: number;
      name: string;
    }[];
    expect(files).toHaveLength(2);
    for (const f of files) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`held ${f.name}:`));
      expect(line, f.name).toBeDefined();
      expect(line).toContain(`\`refdata release ${f.id}\``);
    }
    expect(r.stdout).toMatch(/held rates\.csv: .*would shrink ref\.rates from 10 to 1 rows/);
    expect(r.stdout).toMatch(/held units\.csv: .*would empty ref\.units \(3 rows\)/);
  });
});
