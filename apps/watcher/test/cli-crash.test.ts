/**
 * Issue 5 acceptance 2: SIGKILL the watcher at random points 20 times while 30 files flow;
 * after restarts every file is in archive/ or failed/ exactly once, the tables are consistent
 * and nothing is left in processing/.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listNames, openTestDb, originalName, runCli, sleep, startCli, workspace } from './helpers.js';

const GOOD = 27;
const BAD = 3;
const ENV = {
  MONITOR_INTERVAL: '0.1',
  STABILITY_CHECKS: '2',
  MONITOR_LEASE: '1',
  MONITOR_CONCURRENCY: '2',
  LOG_LEVEL: 'warn',
};

/** Deterministic pseudo-random numbers, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rowsOf(i: number): number {
  return 200 + ((i * 7919) % 3000);
}

function content(i: number): string {
  const lines = ['code,name,value,valid_from'];
  for (let r = 1; r <= rowsOf(i); r++)
    lines.push(
      `${String(r).padStart(5, '0')},"name ${i}/${r}",${r}.${i % 10}5,2025-01-${String((r % 28) + 1).padStart(2, '0')}`,
    );
  return `${lines.join('\n')}\n`;
}

describe('the watcher killed with SIGKILL', () => {
  it('loses nothing and loads nothing twice across 20 kills while 30 files flow', async () => {
    const ws = await workspace();
    const rand = random(Number(process.env.CRASH_SEED ?? 20251129));
    const names: string[] = [];
    for (let i = 1; i <= GOOD; i++) names.push(`t${String(i).padStart(2, '0')}.csv`);
    for (let i = 1; i <= BAD; i++) names.push(`bad${i}.csv`);

    let dropped = 0;
    const drop = async (n: number): Promise<void> => {
      for (; n > 0 && dropped < names.length; n--, dropped++) {
        const name = names[dropped] as string;
        const body = name.startsWith('bad') ? 'code,name\n001,"unclosed\n002,x\n' : content(dropped + 1);
        await writeFile(join(ws.incoming, `.${name}.part`), body);
        await rename(join(ws.incoming, `.${name}.part`), join(ws.incoming, name));
      }
    };

    // Even kills land at random points after start-up (scanning, claiming, ingesting, moving);
    // odd kills at random points from spawn (start-up, migration, recovery of processing/).
    const kills: string[] = [];
    let midIngest = 0;
    for (let k = 0; k < 20; k++) {
      await drop(2);
      const watcher = startCli(['watch'], { cwd: ws.dir, env: ws.env({ ...ENV, LOG_LEVEL: 'info' }) });
      if (k % 2 === 0) {
        await watcher.waitForOutput(/watcher started/, 30_000).catch(() => undefined);
      }
      const delay = Math.round((k % 2 === 0 ? 0 : 100) + rand() * 1200);
      kills.push(`${k % 2 === 0 ? 'started+' : ''}${delay}`);
      await sleep(delay);
      watcher.child.kill('SIGKILL');
      const exit = await watcher.exited;
      expect(exit.signal === 'SIGKILL' || exit.code !== null).toBe(true);
      const started = (exit.stderr.match(/ingestion started/g) ?? []).length;
      const settled = (exit.stderr.match(/file settled/g) ?? []).length;
      if (started > settled) midIngest++;
    }
    const context = `kills at ${kills.join(',')} ms; ${midIngest} during an ingestion`;
    await drop(names.length);

    // Let the killed instance's leases expire, then recover and finish.
    for (let attempt = 0; attempt < 5; attempt++) {
      await sleep(1200);
      const r = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env(ENV) });
      expect(r.code, r.stderr).toBe(0);
      if ((await listNames(join(ws.root, 'processing'))).length === 0 && (await listNames(ws.incoming)).length === 0)
        break;
    }

    expect(await listNames(join(ws.root, 'processing')), context).toEqual([]);
    expect(await listNames(ws.incoming)).toEqual([]);
    const isData = (n: string): boolean => !n.endsWith('.error.json') && !n.endsWith('.rejects.csv');
    const archived = (await listNames(join(ws.root, 'archive'))).filter(isData).map(originalName);
    const failed = (await listNames(join(ws.root, 'failed'))).filter(isData).map(originalName);
    const everywhere = [...archived, ...failed].sort();
    if (everywhere.length !== names.length) {
      const db = await openTestDb(ws);
      const rows = (await db.files.list({ limit: 1000 })).map(
        (f) => `${f.id} ${f.name} ${f.status} ${f.path} ${f.errorCode ?? ''} ${f.errorMessage ?? ''}`,
      );
      const folders = [
        ...(await listNames(join(ws.root, 'archive'))).map((n) => `archive/${n}`),
        ...(await listNames(join(ws.root, 'failed'))).map((n) => `failed/${n}`),
      ];
      const errors: string[] = [];
      for (const n of folders.filter((f) => f.endsWith('.error.json')))
        errors.push(`${n}: ${await readFile(join(ws.root, n), 'utf8')}`);
      throw new Error(`${context}\n${folders.join('\n')}\n${errors.join('\n')}\n${rows.join('\n')}`);
    }
    expect(everywhere, context).toEqual([...names].sort());
    expect(failed.sort()).toEqual(names.filter((n) => n.startsWith('bad')).sort());

    const db = await openTestDb(ws);
    const tracked = await db.files.list({ limit: 1000 });
    for (let i = 1; i <= GOOD; i++) {
      const name = names[i - 1] as string;
      const table = name.replace('.csv', '');
      const rows = tracked.filter((f) => f.name === name && f.status === 'archived');
      expect(rows, `archived tracking rows of ${name}`).toHaveLength(1);
      const described = await db.describeTable(table);
      expect(described?.rowCount, `rows of ref.${table}`).toBe(rowsOf(i));
      expect(rows[0]?.rowsLoaded).toBe(rowsOf(i));
    }
    for (const name of names.filter((n) => n.startsWith('bad'))) {
      expect(await db.describeTable(name.replace('.csv', ''))).toBeUndefined();
      expect(tracked.filter((f) => f.name === name && f.status === 'archived')).toEqual([]);
    }
    expect(tracked.filter((f) => !['archived', 'failed', 'duplicate', 'held'].includes(f.status))).toEqual([]);
  });
});
