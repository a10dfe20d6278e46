import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PipeState } from './pipe-state.js';

describe('PipeState', () => {
  it('is one state per stream', () => {
    const stream = new Writable({ write: (_c, _e, cb) => cb() });
    expect(PipeState.of(stream)).toBe(PipeState.of(stream));
    expect(PipeState.of(new Writable({ write: (_c, _e, cb) => cb() }))).not.toBe(PipeState.of(stream));
  });

  it('waits for a slow reader to drain and then for every byte to be handed on', async () => {
    const taken: string[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(chunk, _enc, cb) {
        taken.push(String(chunk));
        release = cb;
      },
    });
    const state = PipeState.of(slow);
    expect(slow.write('0123456789')).toBe(false);
    let drained = false;
    const draining = state.drained().then(() => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false);
    release?.();
    await draining;
    expect(drained).toBe(true);

    slow.write('more');
    let flushed = false;
    const flushing = state.flushed().then(() => {
      flushed = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed).toBe(false);
    release?.();
    await new Promise((r) => setTimeout(r, 0));
    release?.();
    await flushing;
    expect(taken.join('')).toBe('0123456789more');
    expect(state.closed).toBe(false);
  });

  it('does not wait when nothing is pending or the stream cannot tell', async () => {
    const fast = new Writable({ write: (_c, _e, cb) => cb() });
    await PipeState.of(fast).drained();
    const minimal = { write: () => true };
    await PipeState.of(minimal).drained();
    await PipeState.of(minimal).flushed();
    expect(PipeState.of(minimal).closed).toBe(false);
  });

  it('is closed when the reader of a real pipe goes away (EPIPE), and wakes whoever waits', {
    timeout: 20_000,
  }, async () => {
    // The reader closes its end of the pipe and stays alive: the next writes meet EPIPE.
    const child = spawn('sh', ['-c', 'exec 0<&-; echo closed; sleep 10'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const stdin = child.stdin;
    const state = PipeState.of(stdin);
    await new Promise((r) => child.stdout.once('data', r));
    const chunk = 'x'.repeat(1 << 16);
    for (let i = 0; i < 100 && !state.closed; i++) {
      if (!stdin.write(chunk)) await state.drained();
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(state.closed).toBe(true);
    // Once closed, nothing waits.
    await state.drained();
    await state.flushed();
    child.kill();
  });
});
