/**
 * What every command receives: the validated config, the root logger, scrubbed output, and
 * the database opened on first use (closed by {@link AppContext.close}).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Database, type DatabaseOperation, openDatabase, parseDatabaseUrl } from '@refdata/db';
import type { Logger as PinoLogger } from 'pino';
import { type AppConfig, loadConfig, tlsOptions } from './config.js';
import { AppError, AppErrorCode } from './errors.js';
import { type LogFileSink, openLogFile } from './log-file.js';
import { createRootLogger, type LogLevel } from './logger.js';
import type { WatcherMetrics } from './metrics.js';
import { Output, type Streams } from './output.js';
import { SecretScrubber } from './secrets.js';

/** The process around the app (injectable for tests). */
export interface Runtime extends Streams {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Mode of folders the app creates: never world-writable. */
export const DIR_MODE = 0o750;

/** Options of {@link createContext}. */
export interface ContextOptions {
  /** Flag values by flag name (`--root`, `--db`, …). */
  readonly flags: Readonly<Record<string, unknown>>;
  readonly configFile?: string | undefined;
  /** Log level when none is configured. */
  readonly defaultLogLevel: LogLevel;
}

/**
 * stderr with a switch: text goes to the stream, or to whoever diverted it (a live display that
 * prints it above its rows).
 *
 * @example
 * ```ts
 * ctx.stderr.divert((text) => display.log(text));
 * ctx.stderr.divert(undefined); // back to the stream
 * ```
 */
export class StderrRoute {
  readonly #stream: Runtime['stderr'];
  #to: ((text: string) => void) | undefined;

  constructor(stream: Runtime['stderr']) {
    this.#stream = stream;
  }

  /** Whether the stream is a terminal. */
  get isTTY(): boolean {
    return this.#stream.isTTY === true;
  }

  /** Sends what is written to `to` from now on (undefined: back to the stream). */
  divert(to: ((text: string) => void) | undefined): void {
    this.#to = to;
  }

  write(chunk: string): boolean {
    if (this.#to !== undefined) {
      this.#to(chunk);
      return true;
    }
    return this.#stream.write(chunk) !== false;
  }
}

/** Options of {@link AppContext.openDb}. */
export interface OpenDbOptions {
  /** Create the SQLite file and its folder when missing. @default false */
  readonly create?: boolean;
  /** Records each database operation's duration. */
  readonly metrics?: WatcherMetrics;
  /**
   * `try`: a migration that fails (a login without the permissions it needs) is logged, and the
   * database is returned anyway, so `health` can say what is missing. @default 'require'
   */
  readonly migrate?: 'require' | 'try';
}

/**
 * A command's environment.
 *
 * @example
 * ```ts
 * const ctx = createContext(runtime, { flags, defaultLogLevel: 'warn' });
 * const db = await ctx.openDb();
 * await ctx.close();
 * ```
 */
export interface AppContext {
  readonly config: AppConfig;
  readonly logger: PinoLogger;
  readonly out: Output;
  readonly scrubber: SecretScrubber;
  readonly runtime: Runtime;
  /**
   * Where log lines and messages go on stderr. A live display (file rows, progress bars) diverts
   * them while it is on the terminal, so they print above it instead of into a bar.
   */
  readonly stderr: StderrRoute;
  /**
   * Opens (once) and migrates the database; records operation times into `metrics` when given.
   * Only `init`, `watch` and `ingest` pass `create: true`: every other command refuses to create
   * an SQLite file (and its folders) at a mistyped path and throws `APP_DB_NOT_FOUND` instead.
   */
  openDb(options?: OpenDbOptions): Promise<Database>;
  /** Closes the database if it was opened. */
  close(): Promise<void>;
}

/**
 * The scrubber and output used before the config is known (for config errors). Secrets from the
 * environment are registered right away.
 */
export function bootstrapOutput(runtime: Runtime): { scrubber: SecretScrubber; out: Output } {
  const scrubber = new SecretScrubber();
  scrubber.add(runtime.env.db_password);
  return { scrubber, out: new Output(runtime, scrubber, runtime.env) };
}

/**
 * Loads the config (throws `APP_CONFIG_INVALID`) and builds the context.
 *
 * @example
 * ```ts
 * const ctx = createContext(runtime, { flags: { '--root': './drop' }, defaultLogLevel: 'info' });
 * ```
 */
export function createContext(runtime: Runtime, options: ContextOptions, scrubber: SecretScrubber): AppContext {
  const config = loadConfig({
    env: runtime.env,
    flags: options.flags,
    configFile: options.configFile,
    cwd: runtime.cwd,
  });
  for (const s of config.secrets) scrubber.add(s);
  scrubber.addFile(config.db.passwordFile);
  const stderr = new StderrRoute(runtime.stderr);
  const out = new Output({ stdout: runtime.stdout, stderr }, scrubber, runtime.env);
  // LOG_FILE: JSON lines into a rotated file (0640) instead of stderr; a file that cannot be
  // opened or written is said on stderr, where the lines then go.
  let logFile: LogFileSink | undefined;
  if (config.logFile !== undefined) {
    const where = config.logFile.path;
    logFile = openLogFile(config.logFile, (err) => {
      out.stderr.write(
        `refdata: cannot write the log file ${where} (LOG_FILE): ${scrubber.scrub(err.message)}. Log lines go to stderr.\n`,
      );
    });
  }
  const file = logFile;
  const logger = createRootLogger({
    level: config.logLevel ?? options.defaultLogLevel,
    pretty: file === undefined && runtime.stderr.isTTY === true,
    colorize: runtime.stderr.isTTY === true && runtime.env.NO_COLOR === undefined,
    sink:
      file === undefined
        ? stderr
        : { write: (line: string) => (file.failure === undefined ? file.write(line) : stderr.write(line)) },
    scrubber,
  });
  let db: Database | undefined;
  let opening: Promise<Database> | undefined;

  const openDb = ({ create = false, metrics, migrate = 'require' }: OpenDbOptions = {}): Promise<Database> => {
    opening ??= (async () => {
      let url = config.db.url;
      if (config.db.sqlitePath !== undefined) {
        const file = resolve(runtime.cwd, config.db.sqlitePath);
        if (!create && !existsSync(file)) {
          throw new AppError(
            AppErrorCode.DB_NOT_FOUND,
            `No database at ${file} (set by ${config.db.source}); nothing was created. ` +
              'Check the path, or create it with `refdata init` (or load a file with `refdata watch` or `refdata ingest`).',
          );
        }
        await mkdir(dirname(file), { recursive: true, mode: DIR_MODE });
        url = `sqlite:${file}`;
      }
      const parsedUrl = parseDatabaseUrl(url);
      const needsPassword =
        parsedUrl.dialect === 'mssql' &&
        ['sql', 'ntlm', 'azure-active-directory-service-principal-secret'].includes(
          parsedUrl.authentication?.type ?? 'sql',
        );
      if (needsPassword && config.db.password === undefined && config.db.passwordFile === undefined) {
        const { user } = parsedUrl as { user: string };
        throw new AppError(
          AppErrorCode.CONFIG_INVALID,
          `db_password (environment variable) is not set, and SQL Server login ${JSON.stringify(user)} needs a password. ` +
            'Set db_password in the environment (for a service: in its EnvironmentFile), or DB_PASSWORD_FILE to a file holding it.',
        );
      }
      const pending = openDatabase(config.db.dialect === 'mssql' ? withConnectTimeout(url, config) : url, {
        logger,
        poolSize: config.database.poolSize,
        maxRetries: config.database.maxRetries,
        retryBackoffSeconds: config.database.retryBackoffSeconds,
        keepBackups: config.database.keepBackups,
        // Only an explicit setting overrides the URL's ?trustServerCertificate= / ?caFile=.
        ...tlsOptions(config.database),
        ...(config.db.password === undefined ? {} : { password: config.db.password }),
        ...(config.db.passwordFile === undefined ? {} : { passwordFile: config.db.passwordFile }),
        ...(metrics === undefined
          ? {}
          : {
              onOperation: ({ name, durationMs }: DatabaseOperation) =>
                metrics.dbSeconds.observe(durationMs / 1000, { operation: name }),
            }),
      });
      const opened = config.db.dialect === 'mssql' ? await withinConnectTimeout(pending, config) : await pending;
      db = opened;
      if (migrate === 'try') {
        await opened.migrate().catch((err: unknown) => {
          logger.warn(
            { code: (err as { code?: unknown }).code },
            scrubber.scrub(`migration failed: ${String((err as Error).message)}`),
          );
        });
      } else {
        await opened.migrate();
      }
      return opened;
    })();
    return opening;
  };

  return {
    config,
    logger,
    out,
    scrubber,
    runtime,
    stderr,
    openDb,
    async close() {
      if (opening !== undefined) await opening.catch(() => undefined);
      const d = db;
      db = undefined;
      if (d !== undefined) await d.close();
      await logFile?.close();
    },
  };
}

/**
 * The SQL Server URL with each connection attempt bounded by `DB_CONNECT_TIMEOUT` (unless the URL
 * sets its own `connectTimeout`), so a retry can happen within the overall bound.
 */
function withConnectTimeout(url: string, config: AppConfig): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('connectTimeout')) {
    parsed.searchParams.set('connectTimeout', String(config.database.connectTimeoutMs));
  }
  return parsed.toString();
}

/**
 * Opening SQL Server (connect, named-instance lookup, retries with backoff) either succeeds or
 * fails within `DB_CONNECT_TIMEOUT`: an unreachable server must not hold a command for minutes.
 * A connection that arrives after the deadline is closed.
 */
async function withinConnectTimeout(opening: Promise<Database>, config: AppConfig): Promise<Database> {
  const ms = config.database.connectTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        new AppError(
          AppErrorCode.DB_TIMEOUT,
          `SQL Server at ${config.db.display} did not answer within ${ms / 1000} s (DB_CONNECT_TIMEOUT, ` +
            'connection attempts and retries included). Check the host, port, instance name, network and TLS ' +
            'settings, or raise DB_CONNECT_TIMEOUT for a slow network.',
        ),
      );
    }, ms);
  });
  try {
    return await Promise.race([opening, deadline]);
  } catch (err) {
    opening.then((late) => late.close()).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
