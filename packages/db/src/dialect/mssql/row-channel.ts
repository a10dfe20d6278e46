/**
 * A bounded queue of rows between a load session's `write` calls (the producer) and one
 * long-running tedious bulk load (the consumer, which iterates it). `push` resolves once the
 * queue is back under its high-water mark, so a fast producer waits for the server; `close` ends
 * the iteration after the queued rows; `fail` drops what is queued and releases every waiter.
 */
export class RowChannel implements AsyncIterable<unknown[]> {
  readonly #highWater: number;
  readonly #batches: (readonly unknown[][])[] = [];
  #index = 0;
  #queued = 0;
  #closed = false;
  #failed = false;
  #consumer: (() => void) | undefined;
  #producers: (() => void)[] = [];

  /** @param highWater Rows queued above which `push` waits for the consumer. */
  constructor(highWater: number) {
    if (!Number.isInteger(highWater) || highWater < 1)
      throw new RangeError(`highWater must be a positive integer, got ${highWater}`);
    this.#highWater = highWater;
  }

  /** Rows queued and not yet taken by the consumer. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether {@link RowChannel.fail} was called (pushes are then ignored). */
  get failed(): boolean {
    return this.#failed;
  }

  /** Queues rows; resolves when the queue is at or under the high-water mark (at once after a failure). */
  push(rows: readonly unknown[][]): Promise<void> {
    if (this.#closed) throw new Error('RowChannel: push after close');
    if (this.#failed || rows.length === 0) return Promise.resolve();
    this.#batches.push(rows);
    this.#queued += rows.length;
    this.#wakeConsumer();
    if (this.#queued <= this.#highWater) return Promise.resolve();
    return new Promise((resolve) => this.#producers.push(resolve));
  }

  /** Ends the iteration once the queued rows are taken. */
  close(): void {
    this.#closed = true;
    this.#wakeConsumer();
  }

  /** The consumer stopped: drops queued rows, ends the iteration and releases waiting producers. */
  fail(): void {
    this.#failed = true;
    this.#batches.length = 0;
    this.#index = 0;
    this.#queued = 0;
    this.#releaseProducers();
    this.#wakeConsumer();
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown[]> {
    return {
      next: () => this.#next(),
      return: () => {
        this.fail();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  #next(): Promise<IteratorResult<unknown[]>> {
    if (this.#failed) return Promise.resolve({ done: true, value: undefined });
    const batch = this.#batches[0];
    if (batch !== undefined) {
      const row = batch[this.#index++] as unknown[];
      if (this.#index >= batch.length) {
        this.#batches.shift();
        this.#index = 0;
      }
      this.#queued--;
      if (this.#queued <= this.#highWater) this.#releaseProducers();
      return Promise.resolve({ done: false, value: row });
    }
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#consumer = () => resolve(this.#next());
    });
  }

  #wakeConsumer(): void {
    const wake = this.#consumer;
    this.#consumer = undefined;
    wake?.();
  }

  #releaseProducers(): void {
    const waiting = this.#producers;
    this.#producers = [];
    for (const resolve of waiting) resolve();
  }
}
