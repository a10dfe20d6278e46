/**
 * Helpers for the app's tests: a temporary drop root and database per test, the built CLI run
 * as a real child process, and polling.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@refdata/db';
import { EXAMPLE_FIXTURES, makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';

/** The repository root. */
export const REPO: string = fileURLToPath(new URL('../../../', import.meta.url));
/** The built CLI. */
export const CLI: string = join(REPO, 'apps', 'watcher', 'dist', 'cli.js');
/** The example files (tracked fixtures: the Quick start moves the examples themselves to archive/). */
export const EXAMPLES: string = EXAMPLE_FIXTURES;

/** Fast monitor settings for tests (the defaults are 15 s × 6). */
export const FAST: Readonly<Record<string, string>> = {
  MONITOR_INTERVAL: '0.2',
  STABILITY_CHECKS: '3',
  LOG_LEVEL: 'info',
};

/** A temporary workspace: `dir/drop` as the root and `dir/refdata.db` as the database. */
export interface Workspace {
  readonly dir: string;
  readonly root: string;
  readonly incoming: string;
  readonly dbPath: string;
  readonly dbUrl: string;
  /** Environment for the CLI pointing at this workspace. */
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
}

/**
 * Creates a workspace removed when the test finishes.
 *
 * @example
 * ```ts
 * const ws = await workspace();
 * await runCli(['init'], { cwd: ws.dir, env: ws.env() });
 * ```
 */
export async function workspace(): Promise<Workspace> {
  const { dir, cleanup } = await makeTempDir('refdata-app-');
  onTestFinished(cleanup);
  const root = join(dir, 'drop');
  const incoming = join(root, 'incoming');
  await mkdir(incoming, { recursive: true });
  const dbPath = join(dir, 'refdata.db');
  const dbUrl = `sqlite:${dbPath}`;
  return {
    dir,
    root,
    incoming,
    dbPath,
    dbUrl,
    env: (extra = {}) => ({ REFDATA_ROOT: root, REFDATA_DB: dbUrl, ...FAST, ...extra }),
  };
}

/** A clean child environment: PATH and HOME only, no colour, plus `env`. */
function childEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...env };
}

/** The outcome of a finished CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCli} and {@link startCli}. */
export interface CliOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Kills the process (SIGKILL) after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Runs through `sh -c 'umask …; exec node …'`. */
  readonly umask?: string;
}

/** A running CLI process. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>;
  /** Resolves with the first stderr/stdout match of `re`. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/**
 * Starts `node apps/watcher/dist/cli.js ARGS…` as a real process.
 *
 * @example
 * ```ts
 * const watcher = startCli(['watch'], { cwd: ws.dir, env: ws.env() });
 * watcher.child.kill('SIGTERM');
 * await watcher.exited;
 * ```
 */
export function startCli(args: readonly string[], options: CliOptions): RunningCli {
  const child =
    options.umask === undefined
      ? spawn(process.execPath, [CLI, ...args], {
          cwd: options.cwd,
          env: childEnv(options.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn('sh', ['-c', `umask ${options.umask}; exec "$0" "$@"`, process.execPath, CLI, ...args], {
          cwd: options.cwd,
          env: childEnv(options.env),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    for (const l of listeners) l();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(err) ?? re.exec(out);
          if (m !== null) {
            listeners.delete(check);
            clearTimeout(t);
            resolve(m);
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${re} in output:\n${err}\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
        void exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(t);
            reject(new Error(`process exited before ${re} appeared:\n${err}\n${out}`));
          }
        });
      });
    },
  };
}

/**
 * Runs the CLI to completion.
 *
 * @example
 * ```ts
 * const r = await runCli(['files', '--json'], { cwd: ws.dir, env: ws.env() });
 * ```
 */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).exited;
}

/**
 * Opens the workspace's database through @refdata/db's public API (closed when the test ends).
 *
 * @example
 * ```ts
 * const db = await openTestDb(ws);
 * ```
 */
export async function openTestDb(ws: Workspace): Promise<Database> {
  const db = await openDatabase(ws.dbUrl);
  await db.migrate();
  onTestFinished(() => db.close());
  return db;
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Names of the regular files in a folder (empty when it does not exist). */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** sha256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/**
 * Writes a CSV file: `header` then one line per row (LF), bytes exactly as given.
 *
 * @example
 * ```ts
 * await writeCsv(join(ws.incoming, 'a.csv'), 'code,name', ['1,x', '2,y']);
 * ```
 */
export async function writeCsv(path: string, header: string, rows: readonly string[]): Promise<void> {
  await writeFile(path, `${[header, ...rows].join('\n')}\n`);
}

/** The original name of a file in archive/ or failed/ (`name.<stamp>-<hash>.ext` → `name.ext`). */
export function originalName(finalName: string): string {
  return finalName.replace(/\.\d{8}T\d{6}(?:\d{3})?Z-[0-9a-f]+(?=\.[^.]+$|$)/, '');
}
