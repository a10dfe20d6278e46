/** Real monitor processes: 20 SIGKILLs while files flow, and two processes sharing one folder. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@refdata/test-utils';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ensureStages, type StagePaths } from '../src/index.js';
import type { ChildConfig } from './child/monitor-child.js';
import { createFileClaimStore } from './file-claim-store.js';
import { makeRoot, sleep, waitFor } from './helpers.js';

let bundle = '';
let cleanupBundle: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const { dir, cleanup } = await makeTempDir('refdata-monitor-child-');
  cleanupBundle = cleanup;
  bundle = join(dir, 'monitor-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./child/monitor-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
    // picomatch is CommonJS and requires node:path; give the ESM bundle a real require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
});

afterAll(() => cleanupBundle());

interface Child {
  readonly process: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

/** Starts a monitor process and resolves once it reports `started`. */
async function startChild(config: ChildConfig): Promise<Child> {
  const child = spawn(process.execPath, [bundle, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('started')) resolve();
    });
    void exited.then((code) => reject(new Error(`monitor child exited with ${code}: ${stderr.join('')}`)));
  });
  return { process: child, stderr, exited };
}

/** Drops a complete file the way careful writers do: NAME.tmp, then a rename. */
async function drop(stages: StagePaths, name: string, content: string): Promise<void> {
  const tmp = join(stages.incoming, `${name}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, join(stages.incoming, name));
}

/** Original name of a final name `stem.<UTC>-<hash>.ext`. */
function originalName(final: string): string {
  return final.replace(/\.\d{8}T\d{6}Z-[0-9a-f]{6}(?=\.[^.]*$|$)/, '');
}

/** Data files (not sidecars) in archive/ and failed/, by original name. */
async function settledFiles(stages: StagePaths): Promise<Map<string, Array<{ stage: string; final: string }>>> {
  const out = new Map<string, Array<{ stage: string; final: string }>>();
  for (const stage of ['archive', 'failed'] as const) {
    for (const final of await readdir(stages[stage])) {
      if (final.endsWith('.error.json') || final.startsWith('.')) continue;
      const name = originalName(final);
      out.set(name, [...(out.get(name) ?? []), { stage, final }]);
    }
  }
  return out;
}

async function countSettled(stages: StagePaths): Promise<number> {
  let n = 0;
  for (const list of (await settledFiles(stages)).values()) n += list.length;
  return n;
}

describe('Monitor processes', () => {
  it('loses and duplicates nothing when SIGKILLed 20 times at random points while 30 files flow', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const storeDir = join(root, '..', 'store');
    const config: ChildConfig = {
      root,
      storeDir,
      ledger: join(root, '..', 'ledger.tsv'),
      leaseMs: 300,
      intervalSeconds: 0.05,
      stabilityChecks: 2,
      concurrency: 2,
      minDelayMs: 20,
      maxDelayMs: 150,
      gracePeriodMs: 1_000,
    };
    const names = Array.from({ length: 30 }, (_, i) => (i % 5 === 4 ? `bad-${i}.csv` : `file ${i}.csv`));
    const contents = new Map(names.map((n, i) => [n, `content ${i} ${Math.random()}\n`]));
    const feeding = (async () => {
      for (const name of names) {
        await drop(stages, name, contents.get(name) as string);
        await sleep(200 + Math.random() * 150);
      }
    })();
    const stderr: string[] = [];
    for (let kill = 0; kill < 20; kill++) {
      const child = await startChild(config);
      await sleep(80 + Math.random() * 450);
      child.process.kill('SIGKILL');
      await child.exited;
      stderr.push(...child.stderr);
    }
    await feeding;
    const last = await startChild(config);
    await waitFor(async () => (await countSettled(stages)) >= names.length, 60_000, 'all files settled').catch(
      async (err: Error) => {
        throw new Error(`${err.message}; stderr: ${[...stderr, ...last.stderr].join('')}`);
      },
    );
    await waitFor(async () => (await readdir(stages.processing)).length === 0, 10_000, 'processing/ empty');
    // A kill while a sidecar was written leaves its temporary file; recovery removes it.
    const hidden = async (): Promise<string[]> =>
      [...(await readdir(stages.archive)), ...(await readdir(stages.failed))].filter((n) => n.startsWith('.'));
    await waitFor(async () => (await hidden()).length === 0, 10_000, 'no temporary files left').catch(
      async (err: Error) => {
        throw new Error(`${err.message}: ${(await hidden()).join(', ')}`);
      },
    );
    last.process.kill('SIGTERM');
    expect(await last.exited).toBe(0);

    const settled = await settledFiles(stages);
    expect([...settled.keys()].sort()).toEqual([...names].sort());
    for (const name of names) {
      const places = settled.get(name) ?? [];
      expect(places, name).toHaveLength(1);
      const { stage, final } = places[0] as { stage: 'archive' | 'failed'; final: string };
      expect(stage, name).toBe(name.startsWith('bad') ? 'failed' : 'archive');
      expect(await readFile(join(stages[stage], final), 'utf8')).toBe(contents.get(name));
      if (stage === 'failed') {
        const report = JSON.parse(await readFile(join(stages.failed, `${final}.error.json`), 'utf8'));
        expect(report.code).toBe('TEST_BAD');
      }
    }
    expect(await readdir(stages.processing)).toEqual([]);
    expect(await readdir(stages.incoming)).toEqual([]);

    // The store agrees with the folders: one terminal record per file, at the file's final path.
    const records = await createFileClaimStore(storeDir).records();
    for (const name of names) {
      const terminal = records.filter((r) => r.name === name && ['archived', 'failed'].includes(r.state));
      expect(terminal, name).toHaveLength(1);
      const { stage, final } = (settled.get(name) ?? [])[0] as { stage: 'archive' | 'failed'; final: string };
      expect(terminal[0]?.path).toBe(join(stages[stage], final));
    }
    // No record is left open: a claim abandoned between claimNew() and the move into
    // processing/ is taken over when its file comes back (as db.files does).
    const open = records.filter((r) => !['archived', 'failed'].includes(r.state));
    if (process.env.MONITOR_CRASH_STATS)
      console.log(
        JSON.stringify({
          records: records.length,
          reclaimed: records.filter((r) => r.claims > 1).length,
          orphans: open.length,
        }),
      );
    expect(open).toEqual([]);
  });

  it('removes the temporary file of a process SIGKILLed while it wrote NAME.error.json, and settles the file once', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const config: ChildConfig = {
      root,
      storeDir: join(root, '..', 'store'),
      ledger: join(root, '..', 'ledger.tsv'),
      leaseMs: 300,
      intervalSeconds: 0.05,
      stabilityChecks: 2,
      concurrency: 1,
      minDelayMs: 0,
      maxDelayMs: 10,
      gracePeriodMs: 1_000,
    };
    const dying = await startChild({ ...config, killWhenRenamingTo: '.error.json' });
    await drop(stages, 'bad-1.csv', 'bad bytes\n');
    expect(await dying.exited).toBeNull();
    // The crash hit the window: the error report is still a hidden temporary file in failed/.
    const left = await readdir(stages.failed);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.[^/]*error\.json/);
    expect(await readdir(stages.processing)).toHaveLength(1);

    const next = await startChild(config);
    const clean = async (): Promise<boolean> => {
      const names = await readdir(stages.failed);
      return names.length === 2 && names.every((n) => !n.startsWith('.'));
    };
    await waitFor(clean, 20_000, 'failed/ holding the file and its report only').catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await readdir(stages.failed)).join(', ')}; ${next.stderr.join('')}`);
    });
    next.process.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    const [file, report] = (await readdir(stages.failed)).sort() as [string, string];
    expect(report).toBe(`${file}.error.json`);
    expect(JSON.parse(await readFile(join(stages.failed, report), 'utf8'))).toMatchObject({ code: 'TEST_BAD' });
    expect(await readFile(join(stages.failed, file), 'utf8')).toBe('bad bytes\n');
    expect(await readdir(stages.processing)).toEqual([]);
  });

  it('two monitor processes on the same folders process 200 files with no duplicate and no loss', async () => {
    const root = await makeRoot();
    const stages = await ensureStages(root);
    const ledger = join(root, '..', 'ledger.tsv');
    const config: ChildConfig = {
      root,
      storeDir: join(root, '..', 'store'),
      ledger,
      leaseMs: 5_000,
      intervalSeconds: 0.05,
      stabilityChecks: 2,
      concurrency: 2,
      minDelayMs: 0,
      maxDelayMs: 10,
      gracePeriodMs: 5_000,
    };
    const [a, b] = await Promise.all([startChild(config), startChild(config)]);
    const names = Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(3, '0')}.csv`);
    for (const name of names) await drop(stages, name, `${name}\n`);
    await waitFor(async () => (await countSettled(stages)) >= names.length, 90_000, '200 files settled');
    a?.process.kill('SIGTERM');
    b?.process.kill('SIGTERM');
    expect(await a?.exited).toBe(0);
    expect(await b?.exited).toBe(0);

    const lines = (await readFile(ledger, 'utf8')).trim().split('\n');
    const byName = new Map<string, number>();
    const byPid = new Map<string, number>();
    for (const line of lines) {
      const [name, , pid] = line.split('\t');
      byName.set(name as string, (byName.get(name as string) ?? 0) + 1);
      byPid.set(pid as string, (byPid.get(pid as string) ?? 0) + 1);
    }
    expect(lines).toHaveLength(200);
    expect([...byName.values()].every((n) => n === 1)).toBe(true);
    expect([...byName.keys()].sort()).toEqual(names);
    expect(byPid.size).toBe(2);
    const settled = await settledFiles(stages);
    expect([...settled.keys()].sort()).toEqual(names);
    expect([...settled.values()].every((l) => l.length === 1)).toBe(true);
    expect(await readdir(stages.processing)).toEqual([]);
    expect(await readdir(stages.incoming)).toEqual([]);
    const records = await createFileClaimStore(config.storeDir).records();
    expect(records).toHaveLength(200);
    expect(records.every((r) => r.state === 'archived' && r.claims === 1)).toBe(true);
  });
});
