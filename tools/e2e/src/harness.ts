/**
 * The end-to-end harness: a temporary drop root and SQLite file per test, the built `refdata`
 * CLI run as a real process (as an unprivileged user when the tests run as root, so file
 * permissions mean something), its pino log lines parsed as they arrive, and database
 * fingerprints that prove a failure changed nothing.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@refdata/db';
import { makeTempDir } from '@refdata/test-utils';
import BetterSqlite3 from 'better-sqlite3';
import { onTestFinished } from 'vitest';

/** The repository root. */
export const REPO: string = fileURLToPath(new URL('../../../', import.meta.url));
/** The built CLI. */
export const CLI: string = join(REPO, 'apps', 'watcher', 'dist', 'cli.js');

/** The user the watcher runs as: `nobody` through `setpriv` when the tests run as root. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  /** Command prefix that switches to the user (empty when no switch is needed). */
  readonly prefix: readonly string[];
  /** True when the watcher runs without root's privileges (file modes are enforced). */
  readonly unprivileged: boolean;
}

const NOBODY = 65_534;

/**
 * Picks the user the watcher runs as. As root the tests drop to `nobody` with `setpriv`, so that
 * a file without read permission cannot be read by the service (as for any real deployment);
 * as another user they run as that user, to whom mode 000 applies anyway.
 *
 * @example
 * ```ts
 * const user = watcherUser();
 * spawn(user.prefix[0] ?? process.execPath, [...user.prefix.slice(1), process.execPath, CLI, 'watch']);
 * ```
 */
export function watcherUser(): RunAs {
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  if (uid !== 0) return { uid, gid, prefix: [], unprivileged: true };
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (setpriv === undefined) {
    throw new Error(
      'The end-to-end tests run as root and need setpriv (util-linux) to run the watcher as an unprivileged user.',
    );
  }
  return {
    uid: NOBODY,
    gid: NOBODY,
    prefix: [setpriv, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--'],
    unprivileged: true,
  };
}

/** A temporary workspace: `dir/drop` is the root, `dir/db/refdata.db` the database, `dir/outside` is not under the root. */
export interface Workspace {
  readonly dir: string;
  readonly root: string;
  readonly incoming: string;
  readonly dbDir: string;
  readonly dbPath: string;
  readonly dbUrl: string;
  /** A folder beside the root (never the watcher's to touch). */
  readonly outside: string;
  readonly user: RunAs;
  /** Environment for the CLI pointing at this workspace, with fast monitor settings. */
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** Gives the root and the database folder back to the watcher's user (after the test wrote into them). */
  handOver(): Promise<void>;
}

/** Monitor settings for tests (the defaults are 15 s × 6). */
export const FAST: Readonly<Record<string, string>> = {
  MONITOR_INTERVAL: '0.25',
  STABILITY_CHECKS: '3',
  LOG_LEVEL: 'debug',
};

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (st === null) return;
  await lchown(path, uid, gid).catch(() => undefined);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

/**
 * Creates a workspace removed when the test finishes. The root and the database folder belong
 * to the watcher's user; `outside` belongs to the test.
 *
 * @example
 * ```ts
 * const ws = await workspace();
 * await runCli(['init'], ws);
 * ```
 */
export async function workspace(prefix = 'refdata-e2e-'): Promise<Workspace> {
  const { dir, cleanup } = await makeTempDir(prefix);
  onTestFinished(cleanup);
  await chmod(dir, 0o755);
  const user = watcherUser();
  const root = join(dir, 'drop');
  const incoming = join(root, 'incoming');
  const dbDir = join(dir, 'db');
  const outside = join(dir, 'outside');
  await mkdir(incoming, { recursive: true });
  await mkdir(dbDir, { recursive: true });
  await mkdir(outside, { recursive: true });
  const handOver = async (): Promise<void> => {
    await chownTree(root, user.uid, user.gid);
    await chownTree(dbDir, user.uid, user.gid);
  };
  await handOver();
  const dbPath = join(dbDir, 'refdata.db');
  const dbUrl = `sqlite:${dbPath}`;
  return {
    dir,
    root,
    incoming,
    dbDir,
    dbPath,
    dbUrl,
    outside,
    user,
    env: (extra = {}) => ({ REFDATA_ROOT: root, REFDATA_DB: dbUrl, ...FAST, ...extra }),
    handOver,
  };
}

/** A clean child environment: PATH and HOME only, no colour, plus `env`. */
function childEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', NO_COLOR: '1', ...env };
}

/** One parsed pino line (or `{ raw }` for a line that is not JSON). */
export type LogLine = Readonly<Record<string, unknown>> & { readonly msg?: string; readonly level?: number };

/** The outcome of a finished CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Every stderr line so far, parsed. */
  logs(): readonly LogLine[];
  /** True until the process exits. */
  alive(): boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>;
  /** Resolves with the first log line (past or future) that satisfies `test`. */
  waitForLog(test: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
}

/** Options of {@link startCli} and {@link runCli}. */
export interface CliOptions {
  /** Environment (the workspace's, usually). */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory. @default the workspace folder */
  readonly cwd: string;
  /** Runs as this user. @default the current user */
  readonly user?: RunAs;
  /** Kills the process (SIGKILL) after this long. @default 120_000 */
  readonly timeoutMs?: number;
  /** Runs through `sh -c 'umask …; exec …'`. */
  readonly umask?: string;
}

/**
 * Starts `node apps/watcher/dist/cli.js ARGS…` as a real process (killed when the test ends).
 *
 * @example
 * ```ts
 * const watcher = startCli(['watch'], { cwd: ws.dir, env: ws.env(), user: ws.user });
 * await watcher.waitForLog((l) => l.msg === 'watcher started', 'start');
 * ```
 */
export function startCli(args: readonly string[], options: CliOptions): RunningCli {
  const prefix = options.user?.prefix ?? [];
  let command = [...prefix, process.execPath, CLI, ...args];
  if (options.umask !== undefined) command = ['sh', '-c', `umask ${options.umask}; exec "$@"`, 'sh', ...command];
  const child = spawn(command[0] ?? process.execPath, command.slice(1), {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let partial = '';
  const lines: LogLine[] = [];
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    partial += s;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (text.trim() === '') continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        lines.push({ raw: text });
      }
    }
    for (const l of listeners) l();
  });
  let running = true;
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      running = false;
      clearTimeout(timer);
      for (const l of listeners) l();
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
    logs: () => lines,
    alive: () => running,
    exited,
    waitForLog(test, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = (): void => {
          for (; seen < lines.length; seen++) {
            const line = lines[seen] as LogLine;
            if (test(line)) {
              done();
              resolve(line);
              return;
            }
          }
          if (!running) {
            done();
            reject(new Error(`the process exited before the log showed ${what}:\n${err.slice(-4000)}`));
          }
        };
        const t = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the log to show ${what}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(t);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/**
 * Runs the CLI to completion.
 *
 * @example
 * ```ts
 * const r = await runCli(['files', '--json'], { cwd: ws.dir, env: ws.env(), user: ws.user });
 * ```
 */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).exited;
}

/**
 * Opens the workspace's database through @refdata/db's public API, closed when the test ends.
 * Open it only while a watcher of the workspace is running (or hand the workspace over after),
 * so the SQLite side files keep belonging to the watcher's user.
 *
 * @example
 * ```ts
 * const db = await openTestDb(ws);
 * const files = await db.files.list();
 * ```
 */
export async function openTestDb(ws: Workspace): Promise<Database> {
  const db = await openDatabase(ws.dbUrl);
  await db.migrate();
  onTestFinished(async () => {
    await db.close();
    await ws.handOver();
  });
  return db;
}

/**
 * Physical facts only SQLite itself can tell: leftover staging tables and `PRAGMA
 * integrity_check`. Read-only; closed before returning.
 *
 * @example
 * ```ts
 * expect(inspectSqlite(ws.dbPath)).toEqual({ staging: [], integrity: 'ok', tables: expect.any(Array) });
 * ```
 */
export function inspectSqlite(path: string): { staging: string[]; integrity: string; tables: string[] } {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .join('; ');
    return { staging: tables.filter((t) => t.startsWith('stg.')), integrity, tables };
  } finally {
    db.close();
  }
}

/**
 * A fingerprint of one `ref` table as the database shows it: columns, every row in order, and
 * the names of its backup snapshots. Two equal fingerprints mean the load changed nothing.
 *
 * @example
 * ```ts
 * const before = await fingerprint(db, 'countries');
 * // … a bad file for countries …
 * expect(await fingerprint(db, 'countries')).toBe(before);
 * ```
 */
export async function fingerprint(db: Database, table: string): Promise<string> {
  const description = await db.describeTable(table);
  const backups = (await db.listBackups(table)).map((b) => `${b.snapshot}:${b.rows}`).sort();
  if (description === undefined) return `absent; backups ${JSON.stringify(backups)}`;
  const hash = createHash('sha256');
  for await (const row of db.readTable(table)) {
    hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    hash.update('\n');
  }
  return `${JSON.stringify(description.columns)}; ${description.rowCount} rows ${hash.digest('hex')}; backups ${JSON.stringify(backups)}`;
}

/** Reads a whole `ref` table as arrays of canonical values. */
export async function readRows(db: Database, table: string): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const row of db.readTable(table)) rows.push([...row]);
  return rows;
}

/**
 * Writes a file the way a careful producer does: under a hidden temporary name in the same
 * folder, then renamed into place, so the watcher never sees it half-written.
 *
 * @example
 * ```ts
 * await dropFile(ws.incoming, 'currencies.csv', Buffer.from('code\n008\n'));
 * ```
 */
export async function dropFile(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  const tmp = join(dir, `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(tmp, bytes, { mode: 0o644 });
  const path = join(dir, name);
  await rename(tmp, path);
  return path;
}

/** Polls `check` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Entries of a folder (any type), sorted; empty when it does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** sha256 of bytes or of a file, hex. */
export async function sha256Of(input: Uint8Array | string): Promise<string> {
  const bytes = typeof input === 'string' ? await readFile(input) : input;
  return createHash('sha256').update(bytes).digest('hex');
}

/** The original name of a file in archive/, failed/ or held/ (`name.<stamp>-<hash>.ext` → `name.ext`). */
export function originalName(finalName: string): string {
  return finalName.replace(/\.\d{8}T\d{6}(?:\d{3})?Z-[0-9a-f]+(?=\.[^.]+$|$)/, '');
}

/** True when the current platform can run `cmd` (a quick `--version` probe). */
export function canRun(cmd: string, args: readonly string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, [...args], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
