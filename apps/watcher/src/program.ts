/**
 * The `refdata` command line (commander): parses arguments, builds the context, runs the
 * command and maps its outcome or error code to an exit code.
 */
import { FILE_STATUSES } from '@refdata/db';
import { Command, CommanderError, Option } from 'commander';
import { addFormatOptions } from './commands/format-flags.js';
import type { CommandEnv } from './commands/shared.js';
import { type AppContext, bootstrapOutput, createContext, type Runtime } from './context.js';
import { AppError, AppErrorCode, errorCode, errorMessage, hasCode } from './errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';
import type { Output } from './output.js';

/** Global options every command accepts. */
interface GlobalOptions {
  readonly root?: string;
  readonly db?: string;
  readonly config?: string;
  readonly logLevel?: string;
  readonly metricsPort?: string;
  readonly metricsHost?: string;
}

/** Options that are settings (see config.ts), by commander attribute name. */
const GLOBAL_FLAG_OF: Readonly<Record<string, string>> = {
  root: '--root',
  db: '--db',
  logLevel: '--log-level',
  metricsPort: '--metrics-port',
  metricsHost: '--metrics-host',
  maxErrors: '--max-errors',
};

/** `watch`'s options that are monitor settings (other commands use some of these names differently). */
const WATCH_FLAG_OF: Readonly<Record<string, string>> = {
  interval: '--interval',
  stabilityChecks: '--stability-checks',
  mode: '--mode',
  concurrency: '--concurrency',
  gracePeriod: '--grace-period',
};

/**
 * Runs the `refdata` command line and resolves with the exit code (it never calls
 * `process.exit` itself).
 *
 * @example
 * ```ts
 * const code = await run(['files', '--json'], { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });
 * ```
 */
export async function run(argv: readonly string[], runtime: Runtime): Promise<number> {
  const { scrubber, out } = bootstrapOutput(runtime);
  let exitCode: number = ExitCode.OK;
  let ctx: AppContext | undefined;

  /** Wraps an action: builds the context, runs, records the exit code, closes the context. */
  const action =
    <A extends unknown[]>(
      defaultLogLevel: LogLevel,
      body: (env: CommandEnv, ...args: A) => Promise<number | undefined>,
    ) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
      const flags: Record<string, unknown> = {};
      const settingFlags = cmd.name() === 'watch' ? { ...GLOBAL_FLAG_OF, ...WATCH_FLAG_OF } : GLOBAL_FLAG_OF;
      for (const [key, flag] of Object.entries(settingFlags)) if (opts[key] !== undefined) flags[flag] = opts[key];
      ctx = createContext(runtime, { flags, configFile: opts.config, defaultLogLevel }, scrubber);
      const env: CommandEnv = { ctx, opts };
      try {
        exitCode = (await body(env, ...(args.slice(0, -2) as A))) ?? ExitCode.OK;
      } finally {
        const c = ctx;
        ctx = undefined;
        await c.close();
      }
    };

  const program = new Command('refdata')
    .description('Turns CSV files dropped into a folder into reference-data tables (SQL Server or embedded SQLite).')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option('--root <dir>', 'drop root with incoming/, processing/, archive/, failed/, held/ (env REFDATA_ROOT)'),
    )
    .addOption(new Option('--db <url>', 'sqlite:PATH or mssql://USER@HOST:PORT/DB?encrypt=true (env REFDATA_DB)'))
    .addOption(new Option('--config <file>', `config file (env REFDATA_CONFIG; default ./refdata.config.json)`))
    .addOption(new Option('--log-level <level>', 'log level (env LOG_LEVEL)').choices(LOG_LEVELS))
    .addOption(
      new Option('--metrics-port <port>', 'serve Prometheus /metrics and /healthz on this port (env METRICS_PORT)'),
    )
    .addOption(
      new Option('--metrics-host <host>', 'address the metrics endpoint binds to (env METRICS_HOST)').default(
        undefined,
        '127.0.0.1',
      ),
    )
    // Every command's --help lists --root, --db and the other global options too.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out.stdout.write(s),
      writeErr: (s) => out.stderr.write(s),
    });

  program
    .command('init')
    .description('create the drop folders and the database metadata')
    .option('--json', 'print the result as JSON')
    .option('--print-sql', "print the DBA's least-privilege SQL Server set-up script and do nothing else")
    .option('--login <name>', 'with --print-sql: the service login', 'refdata_loader')
    .option('--reader-role <name>', 'with --print-sql: the read-only role for consumers of ref', 'refdata_reader')
    .action(action('warn', async (env) => (await import('./commands/init.js')).initCommand(env)));

  program
    .command('watch')
    .description('watch the drop folder and load every file that arrives (until SIGINT/SIGTERM)')
    .option('--once', 'process what is ready now, print a summary and exit')
    .option('--json', 'with --once: print the summary as JSON')
    .option('--interval <seconds>', 'seconds between observations (env MONITOR_INTERVAL)')
    .option('--stability-checks <n>', 'unchanged observations before a file is ready (env STABILITY_CHECKS)')
    .addOption(
      new Option('--mode <mode>', 'poll, or watch with fs.watch (env MONITOR_MODE)').choices(['poll', 'watch']),
    )
    .option('--concurrency <n>', 'files processed at once (env MONITOR_CONCURRENCY)')
    .option('--grace-period <seconds>', 'time in-flight files get to finish on shutdown (env SHUTDOWN_GRACE_PERIOD)')
    .action(action('info', async (env) => (await import('./commands/watch.js')).watchCommand(env)));

  addFormatOptions(
    program
      .command('ingest')
      .description('load one file now (exit code 0 loaded, 1 failed, 3 held)')
      .argument('<file>', 'CSV file to load')
      .option('--table <name>', 'target table (default: from the file name)')
      .addOption(new Option('--mode <mode>', 'load mode').choices(['replace', 'append', 'upsert']))
      .option('--key <columns>', 'key columns, comma-separated (needed for upsert)')
      .option('--max-errors <n>', 'rejected rows tolerated before the file fails (env INGEST_MAX_ERRORS)')
      .option('--force', 'apply a replace the destructive-replace guard would hold')
      .option('--reload', 'load even when the same content was already loaded into the table')
      .option('--json', 'print the result as JSON'),
  ).action(
    action('warn', async (env, file: string) => (await import('./commands/ingest.js')).ingestCommand(env, file)),
  );

  addFormatOptions(
    program
      .command('detect')
      .description('detect the format of a file and explain each decision')
      .argument('<file>', 'file to inspect')
      .option('--json', 'print the FormatInfo as JSON'),
  ).action(
    action('warn', async (env, file: string) => (await import('./commands/detect.js')).detectCommand(env, file)),
  );

  addFormatOptions(
    program
      .command('convert')
      .description('convert files to RFC 4180 CSV with the detected format (one process for any number of inputs)')
      .argument('<inputs...>', 'input files')
      .option('--out <file>', 'output file (one input only)')
      .option('--out-dir <dir>', 'output folder: each input is written as DIR/<input file name>')
      .option('--max-errors <n>', 'rejected rows tolerated per input before it fails')
      .option('--concurrency <n>', 'inputs converted at once', '4'),
  ).action(
    action('warn', async (env, inputs: string[]) =>
      (await import('./commands/convert.js')).convertCommand(env, inputs),
    ),
  );

  program
    .command('export')
    .description('write a ref table as RFC 4180 CSV (to stdout or --out)')
    .argument('<table>', 'table, e.g. currencies or ref.currencies')
    .option('--out <file>', 'output file (default: stdout)')
    .action(
      action('warn', async (env, table: string) => (await import('./commands/export.js')).exportCommand(env, table)),
    );

  program
    .command('files')
    .description('list tracked files')
    .addOption(new Option('--status <status>', 'only files in this status').choices(FILE_STATUSES))
    .option('--limit <n>', 'at most this many files', '100')
    .option('--json', 'print as JSON')
    .action(action('warn', async (env) => (await import('./commands/lists.js')).filesCommand(env)));

  program
    .command('show')
    .description('show one tracked file: audit trail, timings, rejected rows, change summary')
    .argument('<fileId>', 'tracking id (see `refdata files`)')
    .option('--rejects <n>', 'rejected rows to show', '20')
    .option('--json', 'print as JSON')
    .action(action('warn', async (env, id: string) => (await import('./commands/lists.js')).showCommand(env, id)));

  program
    .command('tables')
    .description('list the ref tables')
    .option('--json', 'print as JSON')
    .action(action('warn', async (env) => (await import('./commands/lists.js')).tablesCommand(env)));

  program
    .command('backups')
    .description('list backup snapshots (of one table or all)')
    .argument('[table]', 'table, e.g. currencies')
    .option('--json', 'print as JSON')
    .action(
      action('warn', async (env, table: string | undefined) =>
        (await import('./commands/lists.js')).backupsCommand(env, table),
      ),
    );

  program
    .command('restore')
    .description('replace a table with one of its snapshots (the current contents are snapshotted first)')
    .argument('<table>', 'table, e.g. currencies')
    .argument('<snapshot>', 'snapshot name (see `refdata backups TABLE`)')
    .option('--json', 'print as JSON')
    .action(
      action('warn', async (env, table: string, snapshot: string) =>
        (await import('./commands/lists.js')).restoreCommand(env, table, snapshot),
      ),
    );

  program
    .command('release')
    .description('apply a held replace: re-ingest the held file with --force')
    .argument('<fileId>', 'tracking id of the held file')
    .option('--json', 'print the result as JSON')
    .action(action('warn', async (env, id: string) => (await import('./commands/release.js')).releaseCommand(env, id)));

  program
    .command('health')
    .description('check the database, the folders, the queue and the last success (exit 0 healthy, 1 not)')
    .option('--max-age <seconds>', 'unhealthy when the last archived file is older than this')
    .option('--max-queue <n>', 'unhealthy when more files than this wait in incoming/ and processing/')
    .option('--json', 'print as JSON')
    .action(action('warn', async (env) => (await import('./commands/health.js')).healthCommand(env)));

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.OK;
      return ExitCode.USAGE;
    }
    return reportError(err, out);
  }
}

/** Prints an error (code, message, cause code) and returns its exit code. */
export function reportError(err: unknown, out: Output): number {
  const code = errorCode(err);
  // The reader went away (`refdata export t | head`): stop quietly, the exit code says it.
  if (code === AppErrorCode.OUTPUT_CLOSED) return ExitCode.OUTPUT_CLOSED;
  const cause = err instanceof Error && hasCode(err.cause) ? ` (cause: ${err.cause.code})` : '';
  out.note(`${out.paint.red('error')} ${code}${cause}: ${errorMessage(err)}`);
  return code === 'APP_INTERNAL' && !(err instanceof AppError) ? ExitCode.FAILED : exitCodeFor(code);
}

/** The app's version (replaced at build time when available). */
const VERSION = '0.0.0';
