import { describe, expect, it } from 'vitest';
import { RowChannel } from './row-channel.js';

async function drain(channel: RowChannel): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const row of channel) out.push(row);
  return out;
}

describe('RowChannel', () => {
  it('hands pushed rows to the consumer in order and ends after close', async () => {
    const channel = new RowChannel(10);
    const consumed = drain(channel);
    await channel.push([[1], [2]]);
    await channel.push([[3]]);
    channel.close();
    expect(await consumed).toEqual([[1], [2], [3]]);
  });

  it('makes a producer wait above the high-water mark until the consumer takes rows', async () => {
    const channel = new RowChannel(2);
    let resolved = false;
    const push = channel.push([[1], [2], [3], [4]]).then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(channel.queued).toBe(4);
    const it = channel[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: [1] });
    expect(resolved).toBe(false);
    expect(await it.next()).toEqual({ done: false, value: [2] });
    await push;
    expect(resolved).toBe(true);
    expect(channel.queued).toBe(2);
  });

  it('on failure drops queued rows, releases producers, ends the iteration and ignores later pushes', async () => {
    const channel = new RowChannel(1);
    const push = channel.push([[1], [2], [3]]);
    channel.fail();
    await push;
    expect(channel.failed).toBe(true);
    expect(channel.queued).toBe(0);
    await channel.push([[4]]);
    expect(await drain(channel)).toEqual([]);
  });

  it('a consumer that stops early (return) fails the channel', async () => {
    const channel = new RowChannel(5);
    await channel.push([[1], [2]]);
    for await (const row of channel) {
      expect(row).toEqual([1]);
      break;
    }
    expect(channel.failed).toBe(true);
  });

  it('refuses pushes after close and a high-water mark that is not a positive integer', async () => {
    const channel = new RowChannel(1);
    await channel.push([]);
    channel.close();
    expect(() => channel.push([[1]])).toThrow(/after close/);
    expect(() => new RowChannel(0)).toThrow(RangeError);
  });
});
