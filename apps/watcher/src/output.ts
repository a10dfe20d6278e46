/**
 * Human and machine output: scrubbed sinks, tables (cli-table3), JSON, and colour only on a
 * TTY and never with NO_COLOR.
 */
import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { AppError, AppErrorCode } from './errors.js';
import { PipeState, type WritableLike } from './pipe-state.js';
import { type SecretScrubber, scrubbingSink, type TextSink } from './secrets.js';

/** cli-table3, loaded by the first table printed: commands that print none skip its start-up. */
function loadTable(): typeof TableType {
  return createRequire(import.meta.url)('cli-table3') as typeof TableType;
}

/** The process streams the app writes to (injectable for tests). */
export interface Streams {
  readonly stdout: WritableLike & { readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: WritableLike & { readonly isTTY?: boolean; readonly columns?: number };
}

/**
 * True when colour may be used on a stream: it is a TTY, NO_COLOR is unset (any value
 * disables colour, https://no-color.org) and TERM is not `dumb`.
 *
 * @example
 * ```ts
 * colorEnabled(process.stdout, process.env);
 * ```
 */
export function colorEnabled(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined) return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const ANSI = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const;

/** Control characters a terminal would act on (C0 but TAB and LF, DEL, C1), and SGR colour sequences. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_OR_SGR = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text safe to print on a terminal: control characters from data — a value, a raw line, a file
 * name — are shown as symbols (ESC as ␛, BEL as ␇, CR as ␍, DEL as ␡, C1 as `\x9b`), so that
 * a file cannot set the window title, clear the screen or rewrite a line; colour sequences
 * (SGR, what the palette adds) are kept.
 *
 * @example
 * ```ts
 * terminalText('2\u001b]0;x\u0007'); // '2␛]0;x␇'
 * ```
 */
export function terminalText(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROL_OR_SGR, (m) => {
    if (m.length > 1) return m;
    const code = m.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `\\x${code.toString(16)}`;
  });
}

/** A colour function; the identity when colour is off. */
export type Paint = (text: string) => string;

/** JSON replacer: bigints become strings of digits, Dates ISO strings (via toJSON). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Everything a command prints goes through here: stdout for results, stderr for messages,
 * both scrubbed of secret values.
 *
 * @example
 * ```ts
 * const out = new Output(streams, scrubber, process.env);
 * out.table(['id', 'status'], [[1, out.paint.green('archived')]]);
 * ```
 */
export class Output {
  /** Scrubbed stdout. */
  readonly stdout: TextSink;
  /** Scrubbed stderr. */
  readonly stderr: TextSink;
  /** Colour on stdout. */
  readonly color: boolean;
  /** Whether stdout/stderr are terminals. */
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** Colour functions (identity when colour is off). */
  readonly paint: Readonly<Record<keyof typeof ANSI, Paint>>;
  /** Colour functions for stderr (a live display), by stderr's own terminal and NO_COLOR. */
  readonly paintStderr: Readonly<Record<keyof typeof ANSI, Paint>>;
  readonly #stdoutState: PipeState;

  constructor(streams: Streams, scrubber: SecretScrubber, env: Readonly<Record<string, string | undefined>>) {
    this.#stdoutState = PipeState.of(streams.stdout);
    this.stdout = scrubbingSink(streams.stdout, scrubber);
    this.stderr = scrubbingSink(streams.stderr, scrubber);
    this.stdoutIsTTY = streams.stdout.isTTY === true;
    this.stderrIsTTY = streams.stderr.isTTY === true;
    this.color = colorEnabled(streams.stdout, env);
    this.paint = palette(this.color);
    this.paintStderr = palette(colorEnabled(streams.stderr, env));
  }

  /**
   * Writes result data to stdout and waits while a slow reader catches up, so memory stays
   * bounded however large the output. Throws `APP_OUTPUT_CLOSED` once the reader has closed the
   * pipe (`refdata export t | head`): the command stops, and the process exits quietly.
   *
   * @example
   * ```ts
   * for await (const chunk of csvChunks) await out.write(chunk);
   * ```
   */
  async write(text: string): Promise<void> {
    if (this.#stdoutState.closed) throw outputClosed();
    if (this.stdout.write(text) === false) await this.#stdoutState.drained();
    if (this.#stdoutState.closed) throw outputClosed();
  }

  /** Prints a line on stdout (control characters shown as symbols, see {@link terminalText}). */
  line(text = ''): void {
    this.stdout.write(`${terminalText(text)}\n`);
  }

  /** Prints a line on stderr (control characters shown as symbols, see {@link terminalText}). */
  note(text: string): void {
    this.stderr.write(`${terminalText(text)}\n`);
  }

  /** Prints a value as pretty JSON on stdout. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** Prints a table on stdout. */
  table(head: readonly string[], rows: readonly (readonly unknown[])[]): void {
    const Table = loadTable();
    const table = new Table({
      head: head.map((h) => this.paint.bold(h)),
      style: { head: [], border: [] },
      chars: COMPACT,
    });
    for (const row of rows) table.push(row.map(cell));
    this.line(table.toString());
  }

  /** Prints label/value pairs as a two-column table on stdout. */
  pairs(rows: readonly (readonly [string, unknown])[]): void {
    const Table = loadTable();
    const table = new Table({ style: { head: [], border: [] }, chars: COMPACT });
    for (const [k, v] of rows) table.push({ [this.paint.bold(k)]: cell(v) });
    this.line(table.toString());
  }

  /** Colours a file status. */
  status(status: string): string {
    switch (status) {
      case 'archived':
      case 'released':
        return this.paint.green(status);
      case 'failed':
        return this.paint.red(status);
      case 'held':
      case 'duplicate':
        return this.paint.yellow(status);
      default:
        return status;
    }
  }
}

function palette(color: boolean): Readonly<Record<keyof typeof ANSI, Paint>> {
  const make = ([open, close]: readonly [number, number]): Paint =>
    color ? (t) => `\u001b[${open}m${t}\u001b[${close}m` : (t) => t;
  return {
    bold: make(ANSI.bold),
    dim: make(ANSI.dim),
    red: make(ANSI.red),
    green: make(ANSI.green),
    yellow: make(ANSI.yellow),
    cyan: make(ANSI.cyan),
  };
}

function outputClosed(): AppError {
  return new AppError(
    AppErrorCode.OUTPUT_CLOSED,
    'The reader of standard output closed it before all output was written.',
  );
}

/** No separator lines between rows. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return String(value);
}
