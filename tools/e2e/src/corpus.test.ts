/**
 * Issue 6 "Bad input": the whole corpus through ONE live watcher process (`refdata watch`, real
 * SQLite file, temp root, run as an unprivileged user). Seeds first, then every case at once
 * (dynamic ones played while it runs), then per case: the final folder, the reason beside the
 * file, the tracking row, the table contents for loads, and for everything that did not load an
 * unchanged table (fingerprint of contents + backup catalogue). Finally the service must still
 * load a sentinel file and stop cleanly.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileRecord } from '@refdata/db';
import { describe, expect, it } from 'vitest';
import { type CaseContext, CORPUS, type CorpusCase, describeExpected, SENTINEL } from './corpus.js';
import {
  dropFile,
  fingerprint,
  inspectSqlite,
  listNames,
  openTestDb,
  readRows,
  runCli,
  sha256Of,
  sleep,
  startCli,
  waitFor,
  workspace,
} from './harness.js';

const TERMINAL = new Set(['archived', 'failed', 'duplicate', 'held']);

describe('the bad-input corpus through a live watcher', () => {
  it('ends every case as expected, changes nothing on failure, and keeps running', async () => {
    const ws = await workspace('refdata-corpus-');
    const cli = { cwd: ws.dir, env: ws.env(), user: ws.user };
    const init = await runCli(['init'], cli);
    expect(init.code, init.stderr).toBe(0);
    const watcher = startCli(['watch'], { ...cli, timeoutMs: 400_000 });
    await watcher.waitForLog((l) => l.msg === 'watcher started', 'the watcher to start');
    const db = await openTestDb(ws);
    const tracked = async (): Promise<FileRecord[]> => db.files.list({ limit: 100_000 });
    const byName = (records: readonly FileRecord[], name: string): FileRecord[] =>
      records.filter((r) => r.name === name);

    const ctx: CaseContext = {
      root: ws.root,
      incoming: ws.incoming,
      outside: ws.outside,
      user: ws.user,
      drop: (name, bytes) => dropFile(ws.incoming, name, bytes),
      waitForLog: (test, what, timeoutMs) => watcher.waitForLog(test, what, timeoutMs),
      processingPathOf: async (name, timeoutMs = 60_000) => {
        const entry = await waitFor(
          // The claimed name `<fileId>--NAME`, not the hidden `.pending-…--NAME` it has for a moment
          // before the claim (opening that one races its rename).
          async () =>
            (await listNames(join(ws.root, 'processing'))).find(
              (n) => /^\d+--/.test(n) && n.slice(n.indexOf('--') + 2) === name,
            ),
          `${name} in processing/`,
          timeoutMs,
          10,
        );
        return join(ws.root, 'processing', entry);
      },
    };

    // 1. Seeds: tables some cases meet, loaded through the watcher.
    const seeds = CORPUS.flatMap((c) => (c.seed === undefined ? [] : [c.seed]));
    for (const seed of seeds) await ctx.drop(seed.name, seed.bytes);
    await waitFor(
      async () => {
        const records = await tracked();
        return seeds.every((s) => byName(records, s.name).some((r) => r.status === 'archived'));
      },
      'the seed files to load',
      60_000,
    );
    const tables = new Set(CORPUS.flatMap((c) => ('table' in c.expect && c.expect.table ? [c.expect.table] : [])));
    const before = new Map<string, string>();
    for (const table of tables) before.set(table, await fingerprint(db, table));
    const tablesBefore = (await db.listTables()).map((t) => t.name);

    // 2. Every case at once; dynamic ones play against the running watcher.
    const startProblems = new Map<string, string>();
    const started = Date.now();
    await Promise.all(
      CORPUS.map(async (c) => {
        try {
          if (c.bytes !== undefined) await ctx.drop(c.name, c.bytes);
          if (c.make !== undefined) await c.make(ctx);
        } catch (err) {
          startProblems.set(c.id, `could not play the case: ${(err as Error).message}`);
        }
      }),
    );

    // 3. Wait until every tracked case has settled, then give the others a few more windows.
    const tracks = (c: CorpusCase): boolean => !['left', 'vanished'].includes(c.expect.outcome);
    const wanted = (c: CorpusCase): number => (c.expect.outcome === 'archived' ? (c.expect.files ?? 1) : 1);
    await waitFor(
      async () => {
        const records = await tracked();
        return CORPUS.filter(tracks).every((c) => {
          const rows = byName(records, c.name);
          return startProblems.has(c.id) || (rows.length >= wanted(c) && rows.every((r) => TERMINAL.has(r.status)));
        });
      },
      'every corpus case to settle',
      150_000,
      200,
    ).catch(async (err: Error) => {
      const records = await tracked();
      const open = CORPUS.filter(tracks)
        .filter(
          (c) =>
            !byName(records, c.name).every((r) => TERMINAL.has(r.status)) || byName(records, c.name).length < wanted(c),
        )
        .map(
          (c) =>
            `${c.id} ${JSON.stringify(c.name)}: ${
              byName(records, c.name)
                .map((r) => r.status)
                .join(',') || 'untracked'
            }`,
        );
      throw new Error(`${err.message}; still open: ${open.join('; ')}\n${watcher.stderr().slice(-3000)}`);
    });
    await sleep(2_000);
    const settledAfterMs = Date.now() - started;

    // 4. Check every case.
    const records = await tracked();
    const problems: Record<string, string[]> = {};
    const actual: string[] = [];
    for (const c of CORPUS) {
      const found = startProblems.has(c.id) ? [startProblems.get(c.id) ?? ''] : await check(c, byName(records, c.name));
      if (found.length > 0) problems[`${c.id} ${c.name}`] = found;
      actual.push(
        `| ${c.id} | ${JSON.stringify(c.name)} | ${actualOutcome(c, byName(records, c.name))} | ${found.length === 0 ? 'as expected' : found.join('; ')} |`,
      );
    }
    console.log(`corpus settled in ${(settledAfterMs / 1000).toFixed(1)} s\n${actual.join('\n')}`);

    async function check(c: CorpusCase, rows: FileRecord[]): Promise<string[]> {
      const p: string[] = [];
      const e = c.expect;
      const table = 'table' in e ? e.table : undefined;
      const unchanged = async (): Promise<void> => {
        if (table === undefined) return;
        const now = await fingerprint(db, table);
        if (now !== before.get(table)) p.push(`ref.${table} changed: ${before.get(table)} → ${now}`);
      };
      if (e.outcome === 'left') {
        if (rows.length > 0) p.push(`tracked as ${rows.map((r) => r.status).join(',')}`);
        if (!(await listNames(ws.incoming)).includes(c.name)) p.push('no longer in incoming/');
        if (e.warning !== undefined) {
          const warned = watcher.logs().filter((l) => l.code === e.warning && String(l.path).endsWith(`/${c.name}`));
          if (warned.length !== 1) p.push(`${e.warning} logged ${warned.length} times, expected once`);
        }
        return p;
      }
      if (e.outcome === 'vanished') {
        if (rows.length > 0) p.push(`tracked as ${rows.map((r) => r.status).join(',')}`);
        for (const stage of ['incoming', 'processing', 'archive', 'failed', 'held']) {
          const names = await listNames(join(ws.root, stage));
          if (
            names.some(
              (n) => n === c.name || n.endsWith(`--${c.name}`) || n.startsWith(`${c.name.replace(/\.csv$/, '')}.`),
            )
          )
            p.push(`found in ${stage}/`);
        }
        if (watcher.logs().some((l) => (l.level ?? 0) >= 40 && JSON.stringify(l).includes(c.name)))
          p.push('a warning or error was logged for it');
        return p;
      }
      if (rows.length !== wanted(c)) p.push(`${rows.length} tracking rows, expected ${wanted(c)}`);
      const folder = { archived: 'archive', duplicate: 'archive', failed: 'failed', held: 'held' }[e.outcome];
      const status = e.outcome;
      const finalPaths: string[] = [];
      for (const r of rows) {
        if (r.status !== status)
          p.push(`status ${r.status}${r.errorCode ? ` (${r.errorCode}: ${r.errorMessage})` : ''}, expected ${status}`);
        if (dirname(r.path) !== join(ws.root, folder)) p.push(`tracked at ${r.path}, expected in ${folder}/`);
        const st = await lstat(r.path).catch(() => null);
        if (st === null) p.push(`${basename(r.path)} missing from ${folder}/`);
        else finalPaths.push(r.path);
      }
      const first = rows[0];
      if (first === undefined) return p;
      if (e.outcome === 'failed') {
        const report = await readFile(`${first.path}.error.json`, 'utf8')
          .then((t) => JSON.parse(t) as { code?: string; message?: string; time?: string })
          .catch(() => null);
        if (report === null) p.push('no readable NAME.error.json');
        else {
          if (report.code !== e.code) p.push(`error.json code ${report.code}, expected ${e.code}`);
          if (!e.message.test(report.message ?? ''))
            p.push(`error.json message ${JSON.stringify(report.message)} does not match ${e.message}`);
          if (Number.isNaN(Date.parse(report.time ?? ''))) p.push('error.json has no time');
        }
        if (first.errorCode !== e.code) p.push(`tracking errorCode ${first.errorCode}`);
        if (!e.message.test(first.errorMessage ?? '')) p.push('tracking errorMessage does not match');
        if (e.rejectedLine !== undefined) {
          const rejects = await readFile(`${first.path}.rejects.csv`, 'utf8').catch(() => '');
          if (!rejects.startsWith(`line,column,value,reason,raw\n${e.rejectedLine},`))
            p.push(
              `NAME.rejects.csv does not start with line ${e.rejectedLine}: ${JSON.stringify(rejects.slice(0, 120))}`,
            );
        }
        await unchanged();
      }
      if (e.outcome === 'held') {
        const report = await readFile(`${first.path}.held.json`, 'utf8')
          .then((t) => JSON.parse(t) as { table?: string; message?: string; release?: string })
          .catch(() => null);
        if (report === null) p.push('no readable NAME.held.json');
        else {
          if (report.table !== `ref.${e.table}`) p.push(`held.json table ${report.table}`);
          if (!e.message.test(report.message ?? ''))
            p.push(`held.json message ${JSON.stringify(report.message)} does not match ${e.message}`);
          if (report.release !== `refdata release ${first.id}`) p.push(`held.json release ${report.release}`);
        }
        await unchanged();
      }
      if (e.outcome === 'duplicate') await unchanged();
      if (c.bytes !== undefined && e.outcome !== 'archived' && finalPaths[0] !== undefined) {
        if ((await sha256Of(finalPaths[0])) !== (await sha256Of(c.bytes)))
          p.push('the kept file differs from the bytes dropped');
      }
      let tableRows: unknown[][] = [];
      if (e.outcome === 'archived') {
        const description = await db.describeTable(e.table);
        if (description === undefined) return [...p, `ref.${e.table} does not exist`];
        tableRows = await readRows(db, e.table);
        if (e.columns !== undefined)
          expectEqual(
            p,
            'columns',
            description.columns.map((col) => col.name),
            e.columns,
          );
        if (e.rows !== undefined) expectEqual(p, 'rows', tableRows, e.rows);
        if (e.rowCount !== undefined && tableRows.length !== e.rowCount)
          p.push(`${tableRows.length} rows, expected ${e.rowCount}`);
        for (const r of rows) {
          if (r.targetTable !== e.table) p.push(`tracking targetTable ${r.targetTable}`);
          if (c.verify === undefined && r.sha256 !== (await sha256Of(r.path)))
            p.push('tracking sha256 is not the archived file’s');
        }
        if (c.bytes !== undefined && first.sha256 !== (await sha256Of(c.bytes)))
          p.push('tracking sha256 is not the dropped bytes’');
        if (c.verify === undefined && first.rowsLoaded !== tableRows.length && wanted(c) === 1)
          p.push(`tracking rowsLoaded ${first.rowsLoaded}, table has ${tableRows.length}`);
      }
      if (c.verify !== undefined) {
        p.push(...(await c.verify({ ...ctx, records: rows, rows: tableRows, logs: watcher.logs(), finalPaths })));
      }
      return p;
    }

    // 5. Case-specific facts outside the tables.
    const secret = join(ws.outside, 'secret.csv');
    const secretStat = await stat(secret);
    expect(await readFile(secret, 'utf8')).toBe('code,name\nS,secret\n');
    expect(secretStat.atimeMs, 'the symlink target was read').toBeLessThan(secretStat.mtimeMs);
    const linkRow = byName(records, 'link_outside.csv')[0];
    expect((await lstat(linkRow?.path ?? '')).isSymbolicLink()).toBe(true);
    expect(await listNames(join(ws.incoming, 'folder.csv'))).toEqual(['inner.csv']);

    // 6. Nothing outside the cases changed: one tracking row per file (all ended), snapshots only
    // where a load replaced a table, the set of tables, the metadata, staging, integrity.
    const expectedRows = seeds.length + CORPUS.filter(tracks).reduce((n, c) => n + wanted(c), 0);
    expect(records).toHaveLength(expectedRows);
    expect(records.filter((r) => !TERMINAL.has(r.status))).toEqual([]);
    const snapshots = (await db.listBackups()).map((b) => `${b.table}:${b.rows}`).sort();
    expect(snapshots).toEqual(['currencies:4', 'same_name:300000']);
    const created = CORPUS.flatMap((c) =>
      c.expect.outcome === 'archived' && !tablesBefore.includes(c.expect.table) ? [c.expect.table] : [],
    );
    expect((await db.listTables()).map((t) => t.name).sort()).toEqual(
      [...new Set([...tablesBefore, ...created])].sort(),
    );
    expect(await listNames(join(ws.root, 'processing'))).toEqual([]);
    expect((await listNames(ws.incoming)).filter((n) => !n.startsWith('.') || n === '..csv')).toEqual(
      CORPUS.filter((c) => c.expect.outcome === 'left')
        .map((c) => c.name)
        .sort(),
    );
    const physical = inspectSqlite(ws.dbPath);
    expect(physical.integrity).toBe('ok');
    expect(physical.staging).toEqual([]);
    expect(physical.tables).toEqual(
      expect.arrayContaining(['refdata.files', 'refdata.audit', 'refdata.rejects', 'bkp.catalogue']),
    );
    expect((await db.health()).ok).toBe(true);

    // 7. The service is still alive and still loads files; then it stops cleanly.
    expect(watcher.alive()).toBe(true);
    await ctx.drop(SENTINEL.name, SENTINEL.bytes);
    await waitFor(
      async () => byName(await tracked(), SENTINEL.name).some((r) => r.status === 'archived'),
      'the sentinel to load',
      30_000,
    );
    expect(await readRows(db, 'sentinel')).toEqual(SENTINEL.rows);
    expect(watcher.logs().filter((l) => (l.level ?? 0) >= 60)).toEqual([]);
    // Every line the service wrote is one JSON object: a line break in a file name (N07) forged none.
    expect(watcher.logs().filter((l) => 'raw' in l)).toEqual([]);
    expect(watcher.stderr()).toContain('"name":"line\\nbreak.csv"');
    watcher.child.kill('SIGTERM');
    const exit = await watcher.exited;
    expect(exit.code, exit.stderr.slice(-2000)).toBe(0);

    expect(problems).toEqual({});
    expect(CORPUS.map((c) => describeExpected(c.expect))).toHaveLength(CORPUS.length);
  });
});

function expectEqual(problems: string[], what: string, actual: unknown, expected: unknown): void {
  const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  if (show(actual) !== show(expected))
    problems.push(`${what} ${show(actual).slice(0, 400)}, expected ${show(expected).slice(0, 400)}`);
}

function actualOutcome(c: CorpusCase, rows: readonly FileRecord[]): string {
  if (rows.length === 0) return c.expect.outcome === 'left' ? 'left in incoming/' : 'not tracked';
  return rows
    .map(
      (r) =>
        `${r.status}${r.errorCode ? ` ${r.errorCode}` : ''}${r.targetTable ? ` ref.${r.targetTable}` : ''}${r.rowsLoaded !== null && r.status === 'archived' ? ` ${r.rowsLoaded} rows` : ''}`,
    )
    .join(' + ');
}
