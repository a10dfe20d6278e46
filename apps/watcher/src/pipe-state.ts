/**
 * What the app knows about a stream it writes results to: whether its reader went away (EPIPE,
 * `refdata export t | head`), how to wait while the reader is slower than the writer, and how
 * to wait until every byte written so far has left the process.
 */

/** A writable stream as far as the app uses one (process.stdout, a socket, a test's fake). */
export interface WritableLike {
  write(chunk: string, callback?: (err?: Error | null) => void): unknown;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  once?(event: 'drain' | 'close', listener: () => void): unknown;
  off?(event: 'drain' | 'close', listener: () => void): unknown;
  readonly writableNeedDrain?: boolean;
}

const STATES = new WeakMap<object, PipeState>();

/**
 * The state of one stream, shared by everything that writes to it.
 *
 * @example
 * ```ts
 * const state = PipeState.of(process.stdout);
 * if (process.stdout.write(chunk) === false) await state.drained();
 * if (state.closed) return; // the reader went away
 * ```
 */
export class PipeState {
  readonly #stream: WritableLike;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  private constructor(stream: WritableLike) {
    this.#stream = stream;
    // Without a listener, EPIPE would crash the process with a stack trace.
    stream.on?.('error', () => {
      this.#closed = true;
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** The state of `stream` (one per stream; the first call starts listening for its errors). */
  static of(stream: WritableLike): PipeState {
    let state = STATES.get(stream);
    if (state === undefined) {
      state = new PipeState(stream);
      STATES.set(stream, state);
    }
    return state;
  }

  /** True once a write failed: the reader closed the pipe (EPIPE) or the stream broke. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the stream can take more (after a write returned false) or has closed. */
  drained(): Promise<void> {
    const stream = this.#stream;
    if (this.#closed || stream.once === undefined || stream.writableNeedDrain === false) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off?.('drain', done);
        stream.off?.('close', done);
        this.#waiters.delete(done);
        resolve();
      };
      this.#waiters.add(done);
      stream.once?.('drain', done);
      stream.once?.('close', done);
    });
  }

  /**
   * Resolves when everything written so far has been handed to the operating system (or the
   * stream failed). Call before `process.exit`, which drops what a pipe has not taken yet.
   */
  flushed(): Promise<void> {
    if (this.#closed || this.#stream.once === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.add(resolve);
      // Writes complete in order: the callback of an empty write runs after every earlier one.
      this.#stream.write('', () => {
        this.#waiters.delete(resolve);
        resolve();
      });
    });
  }
}
