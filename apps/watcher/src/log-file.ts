/**
 * Log lines to a file rotated by size and age through pino-roll (`LOG_FILE`), created 0640 so
 * only the service's user and group read it; the oldest rotated files beyond `keep` are deleted.
 */
import type { TextSink } from './secrets.js';

/** Mode of log files: the owner writes, its group reads, nobody else. */
export const LOG_FILE_MODE = 0o640;

/** Options of {@link openLogFile}. */
export interface LogFileOptions {
  /** The file; rotated files are numbered before the extension (`refdata.log` → `refdata.1.log`). */
  readonly path: string;
  /** Rotate when a file reaches this size (`10m`, `512k`, `1g`). */
  readonly size: string;
  /** Rotate `daily`, `hourly`, or every this many milliseconds. */
  readonly frequency: 'daily' | 'hourly' | number;
  /** Rotated files kept besides the current one. */
  readonly keep: number;
}

/** The writable end pino-roll returns (a SonicBoom). */
interface RollStream {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  destroy(): void;
}

/**
 * A text sink writing to a rotated log file. Lines written before the file is open are kept in
 * memory and written first; {@link LogFileSink.close} flushes and closes it.
 *
 * @example
 * ```ts
 * const sink = openLogFile({ path: '/var/log/refdata/refdata.log', size: '10m', frequency: 'daily', keep: 14 });
 * sink.write('{"msg":"hello"}\n');
 * await sink.close();
 * ```
 */
export class LogFileSink implements TextSink {
  readonly #opening: Promise<RollStream | undefined>;
  #stream: RollStream | undefined;
  #buffered: string[] = [];
  #failure: Error | undefined;

  /** @internal use {@link openLogFile} */
  constructor(options: LogFileOptions, onError: (err: Error) => void) {
    // pino-roll (and the date library it loads) is imported when a log file is opened, not by
    // every command: ~0.2 s of start-up that a command without LOG_FILE does not need.
    this.#opening = import('pino-roll')
      .then(
        ({ default: pinoRoll }) =>
          pinoRoll({
            file: options.path,
            size: options.size,
            frequency: options.frequency,
            limit: { count: options.keep },
            mkdir: true,
            mode: LOG_FILE_MODE,
          }) as Promise<RollStream>,
      )
      .then(
        (stream) => {
          stream.on('error', (err) => {
            if (this.#failure !== undefined) return;
            this.#failure = err;
            onError(err);
          });
          this.#stream = stream;
          const buffered = this.#buffered;
          this.#buffered = [];
          for (const line of buffered) stream.write(line);
          return stream;
        },
        (err: unknown) => {
          this.#failure = err instanceof Error ? err : new Error(String(err));
          onError(this.#failure);
          return undefined;
        },
      );
  }

  /** Why the file could not be opened or written, if so (lines are then refused: write them elsewhere). */
  get failure(): Error | undefined {
    return this.#failure;
  }

  write(chunk: string): boolean {
    if (this.#failure !== undefined) return false;
    if (this.#stream !== undefined) return this.#stream.write(chunk);
    if (this.#failure === undefined) this.#buffered.push(chunk);
    return true;
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    const stream = await this.#opening;
    if (stream === undefined) return;
    if (this.#failure !== undefined) {
      stream.destroy();
      return;
    }
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      // A file that fails while it closes (it never opened, the disk is full) closes nothing.
      stream.on('error', () => {
        stream.destroy();
        resolve();
      });
      stream.end();
    });
  }
}

/**
 * Opens a rotated log file. `onError` hears a file that cannot be opened or written (the caller
 * tells the operator on stderr: log lines must not vanish silently).
 */
export function openLogFile(options: LogFileOptions, onError: (err: Error) => void): LogFileSink {
  return new LogFileSink(options, onError);
}
