/**
 * The handle of one ingestion: its result, its replayable progress events and its progress now.
 */
import type { IngestHandle, IngestProgress, IngestResult } from './types.js';

/** Progress events kept for iterators that start late; older ones are dropped. */
const HISTORY_LIMIT = 10_000;

/**
 * The object behind an {@link IngestHandle}: a settled-once result plus a replayable stream of
 * progress events. Every iterator sees the events from the start (or from the oldest kept one),
 * ends after the last event, and throws the ingestion's error when it failed. @internal
 */
export class PendingIngestion implements IngestHandle {
  readonly file: string;
  readonly table: string;
  readonly #result: Promise<IngestResult>;
  readonly #cancel: (reason?: string) => void;
  readonly #events: IngestProgress[] = [];
  #dropped = 0;
  #wakers: (() => void)[] = [];
  #finished = false;
  #failed = false;
  #error: unknown;
  #live: (() => IngestProgress) | undefined;
  #last: IngestProgress | undefined;

  constructor(
    file: string,
    table: string,
    run: (
      emit: (progress: IngestProgress) => void,
      live: (snapshot: () => IngestProgress) => void,
    ) => Promise<IngestResult>,
    cancel: (reason?: string) => void,
  ) {
    this.file = file;
    this.table = table;
    this.#cancel = cancel;
    this.#result = run(
      (p) => this.#push(p),
      (snapshot) => {
        this.#live = snapshot;
      },
    ).then(
      (result) => {
        this.#finish(false, undefined);
        return result;
      },
      (err: unknown) => {
        this.#finish(true, err);
        throw err;
      },
    );
    // A caller that only iterates (or only listens to events) must not crash the process with an
    // unhandled rejection; callers who await the handle still see the error.
    this.#result.catch(() => {});
  }

  // biome-ignore lint/suspicious/noThenProperty: the handle is awaitable by design (PromiseLike).
  then<T1 = IngestResult, T2 = never>(
    onfulfilled?: ((value: IngestResult) => T1 | PromiseLike<T1>) | null,
    onrejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2> {
    return this.#result.then(onfulfilled, onrejected);
  }

  catch<T = never>(onrejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<IngestResult | T> {
    return this.#result.catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<IngestResult> {
    return this.#result.finally(onfinally);
  }

  cancel(reason?: string): void {
    if (!this.#finished) this.#cancel(reason);
  }

  progress(): IngestProgress | undefined {
    if (this.#finished || this.#live === undefined) return this.#last;
    return this.#live();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<IngestProgress> {
    let next = 0;
    for (;;) {
      if (next < this.#dropped) next = this.#dropped;
      while (next - this.#dropped < this.#events.length) {
        const event = this.#events[next - this.#dropped] as IngestProgress;
        next++;
        yield event;
      }
      if (this.#finished) {
        if (this.#failed) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => this.#wakers.push(resolve));
    }
  }

  #push(progress: IngestProgress): void {
    if (this.#finished) return;
    this.#last = progress;
    if (progress.done) this.#live = undefined;
    this.#events.push(progress);
    if (this.#events.length > HISTORY_LIMIT) {
      this.#events.shift();
      this.#dropped++;
    }
    this.#wake();
  }

  #finish(failed: boolean, error: unknown): void {
    this.#finished = true;
    this.#failed = failed;
    this.#error = error;
    this.#wake();
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }
}
