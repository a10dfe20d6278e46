/**
 * Words an operator can act on (issue 15, items 9–11): messages on the CLI and in the watcher's
 * error files name flags, settings and commands (not library options), name the file that was
 * dropped (never its `processing/` name), and a failed `ingest` prints each error once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace, writeCsv } from './helpers.js';

/** The library's words that must not reach an operator. */
const LIBRARY_WORDS =
  /skipDuplicates|maxErrors is|raise maxErrors|with force|format overrides|quote override|options\.password/;

async function sidecars(dir: string, suffix: string): Promise<Record<string, unknown>[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(suffix));
  return Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as Record<string, unknown>),
  );
}

describe('messages of refdata ingest', () => {
  it('name --max-errors, --reload, --quote and the release command', async () => {
    const ws = await workspace();
    const csv = join(ws.dir, 'rates.csv');
    await writeCsv(csv, 'code,rate', ['A,1', 'B,x', 'C,y']);
    const rejects = await runCli(['ingest', csv, '--type', 'rate=integer'], { cwd: ws.dir, env: ws.env() });
    expect(rejects.code).toBe(1);
    expect(rejects.stderr).toContain('--max-errors is 0');
    expect(rejects.stderr).toContain('re-run with --max-errors 2 to load the good rows');

    await writeCsv(
      csv,
      'code,rate',
      Array.from({ length: 10 }, (_, i) => `K${i},${i}`),
    );
    expect((await runCli(['ingest', csv], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    const duplicate = await runCli(['ingest', csv], { cwd: ws.dir, env: ws.env() });
    expect(duplicate.code).toBe(0);
    expect(duplicate.stderr).toContain('Re-run with --reload to load it again.');

    await writeCsv(csv, 'code,rate', ['K1,1']);
    const held = await runCli(['ingest', csv], { cwd: ws.dir, env: ws.env() });
    expect(held.code).toBe(3);
    expect(held.stdout).toMatch(/apply it with `refdata release \d+` \(or re-run with --force\)/);
    const heldJson = await runCli(['ingest', csv, '--json'], { cwd: ws.dir, env: ws.env() });
    expect((JSON.parse(heldJson.stdout) as { message: string }).message).toMatch(/`refdata release \d+`/);

    const broken = join(ws.dir, 'broken.csv');
    await writeCsv(broken, 'a,b', ['1,"open']);
    const malformed = await runCli(['ingest', broken], { cwd: ws.dir, env: ws.env() });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('pass --quote none');

    for (const r of [rejects, duplicate, held, heldJson, malformed]) {
      expect(`${r.stdout}${r.stderr}`).not.toMatch(LIBRARY_WORDS);
    }
  });

  it('print each error once when stderr is not a terminal', async () => {
    const ws = await workspace();
    const csv = join(ws.dir, 'rates.csv');
    await writeCsv(csv, 'code,rate', ['A,1', 'B,x']);
    const r = await runCli(['ingest', csv, '--type', 'rate=integer'], {
      cwd: ws.dir,
      env: ws.env({ LOG_LEVEL: 'warn' }),
    });
    expect(r.code).toBe(1);
    // The rejected row is listed once, the failure reported once, and no log line repeats either.
    expect(r.stderr.split('"x" is not a whole number')).toHaveLength(2);
    expect(r.stderr.split('were rejected')).toHaveLength(2);
    expect(r.stderr).not.toMatch(/^\{"level"/m);

    const broken = join(ws.dir, 'broken.csv');
    await writeCsv(broken, 'a,b', ['1,"open']);
    const malformed = await runCli(['ingest', broken], { cwd: ws.dir, env: ws.env({ LOG_LEVEL: 'warn' }) });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr.split('is never closed')).toHaveLength(2);
    expect(malformed.stderr).not.toMatch(/^\{"level"/m);
  });
});

describe('messages of refdata watch', () => {
  it('name the dropped file, never its processing/ name, in the summary, the logs and NAME.error.json', async () => {
    const ws = await workspace();
    await writeCsv(join(ws.incoming, 'broken2.csv'), 'a,b', ['1,"open']);
    await writeCsv(join(ws.incoming, 'empty.csv'), '', []);
    await writeCsv(join(ws.incoming, 'rates.csv'), 'code,rate', ['A,1']);
    const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env({ LOG_LEVEL: 'debug' }) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 failed');
    const reports = await sidecars(join(ws.root, 'failed'), '.error.json');
    expect(reports).toHaveLength(2);
    // Log lines may say where a file is (`path`); their messages name the file as it was dropped.
    const logMessages = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; message?: string; reason?: string })
      .map((l) => [l.msg, l.message, l.reason].join(' '));
    const text = `${r.stdout}\n${logMessages.join('\n')}\n${JSON.stringify(reports)}`;
    expect(text).toContain('1 row(s) of broken2.csv were rejected');
    expect(text).not.toMatch(/\b\d+--(broken2|empty|rates)\.csv/);
    expect(JSON.stringify(reports)).not.toContain('processing/');
  });

  it('name the settings and the release command in error files, held files and the summary', async () => {
    const ws = await workspace();
    await writeCsv(
      join(ws.incoming, 'rates.csv'),
      'code,rate',
      Array.from({ length: 10 }, (_, i) => `K${i},${i}`),
    );
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    await writeCsv(join(ws.incoming, 'rates.csv'), 'code,rate', ['K1,1']);
    await writeCsv(join(ws.incoming, 'broken.csv'), 'a,b', ['1,"open']);
    const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(0);
    const [held] = await sidecars(join(ws.root, 'held'), '.held.json');
    expect(held?.message).toMatch(/apply it with `refdata release \d+`/);
    const [failed] = await sidecars(join(ws.root, 'failed'), '.error.json');
    expect(failed?.message).toContain('set "quote": null in datasets.broken.format');
    expect(failed?.message).toContain('datasets.broken.maxErrors in refdata.config.json');
    expect(JSON.stringify([held, failed])).not.toMatch(LIBRARY_WORDS);
    expect(r.stdout).not.toMatch(LIBRARY_WORDS);
  });
});
