/**
 * The root pino logger: JSON lines (pretty on a TTY), secret fields redacted by path and secret
 * values scrubbed from every line before it leaves the process.
 */
import { createRequire } from 'node:module';
import { type Logger as PinoLogger, pino } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { REDACTED, type SecretScrubber, type TextSink } from './secrets.js';

/**
 * pino-pretty, loaded only when a logger is pretty: it costs ~0.17 s of start-up, a tenth of a
 * short `refdata ingest`, and a non-TTY stderr (services, pipes, benchmarks) never needs it.
 */
function loadPrettyFactory(): (options: PrettyOptions) => (line: string) => string {
  const require = createRequire(import.meta.url);
  return (require('pino-pretty') as typeof import('pino-pretty')).prettyFactory;
}

/** Log levels accepted by `LOG_LEVEL` / `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Fields removed from every log line (STYLE.md "Logging"). pino wildcards match one level
 * only, so nested driver options are listed explicitly.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'authentication.options.password',
  '*.authentication.options.password',
  'connectionString',
  '*.connectionString',
  'token',
  '*.token',
  'db_password',
  '*.db_password',
  'dbPassword',
  '*.dbPassword',
];

/** Options of {@link createRootLogger}. */
export interface RootLoggerOptions {
  /** @default 'info' */
  readonly level?: LogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON. @default false */
  readonly pretty?: boolean;
  /** ANSI colours in pretty output. @default false */
  readonly colorize?: boolean;
  /** Where lines go. */
  readonly sink: TextSink;
  /** Scrubs secret values from each line. */
  readonly scrubber: SecretScrubber;
}

/**
 * Builds the app's root logger. Packages receive it (or a child) as their structural `logger`.
 *
 * @example
 * ```ts
 * const log = createRootLogger({ sink: process.stderr, scrubber, pretty: process.stderr.isTTY });
 * log.info({ table: 'currencies', rows: 10 }, 'load committed');
 * ```
 */
export function createRootLogger(options: RootLoggerOptions): PinoLogger {
  const { sink, scrubber } = options;
  const prettify = options.pretty
    ? loadPrettyFactory()({
        colorize: options.colorize ?? false,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : undefined;
  const destination = {
    write(line: string): void {
      const clean = scrubber.scrub(line);
      if (prettify === undefined) {
        sink.write(clean);
        return;
      }
      let text: string;
      try {
        text = prettify(clean);
      } catch {
        text = clean;
      }
      sink.write(text);
    },
  };
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
