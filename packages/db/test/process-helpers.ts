/**
 * Helpers for tests that run the real package in child processes (crash, race and lock tests).
 * The package source is bundled once per test file with esbuild into packages/db/node_modules
 * (so the bundle resolves better-sqlite3 like the package does); children import it by path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const CHILDREN: string = join(here, 'children');

/** Bundles src/index.ts to an ESM file and returns its path and a cleanup function. */
export async function bundlePackage(): Promise<{ file: string; cleanup: () => void }> {
  const dir = join(here, '..', 'node_modules', '.refdata-test');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `db-${process.pid}-${Date.now()}.mjs`);
  await build({
    entryPoints: [join(here, '..', 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    external: ['better-sqlite3', 'tedious', 'tarn'],
    logLevel: 'silent',
  });
  return { file, cleanup: () => rmSync(file, { force: true }) };
}

/** A running child with its collected output. */
export interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the first stdout line that equals `marker`. */
  waitFor(marker: string): Promise<void>;
  /** Resolves when the child exits, with its exit code, signal and full stdout/stderr. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `node test/children/<script> …args` with the bundle path in REFDATA_DB_BUNDLE. */
export function startChild(
  script: string,
  bundle: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Child {
  const proc = spawn(process.execPath, [join(CHILDREN, script), ...args], {
    env: { ...process.env, ...env, REFDATA_DB_BUNDLE: bundle },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { marker: string; resolve: () => void }[] = [];
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...waiters]) {
      if (stdout.split('\n').includes(w.marker)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      proc.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return {
    proc,
    exit,
    waitFor: (marker) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.split('\n').includes(marker)) {
          resolve();
          return;
        }
        waiters.push({ marker, resolve });
        void exit.then((e) => reject(new Error(`child exited (${e.code ?? e.signal}) before ${marker}: ${e.stderr}`)));
      }),
  };
}
