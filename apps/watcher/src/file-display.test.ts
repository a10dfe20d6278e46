import type { IngestProgress } from '@refdata/ingest';
import { afterEach, describe, expect, it } from 'vitest';
import { FileDisplay, showFileDisplay, type TerminalStream } from './file-display.js';

const plain = {
  green: (s: string) => s,
  red: (s: string) => s,
  yellow: (s: string) => s,
  dim: (s: string) => s,
  cyan: (s: string) => s,
};

/** A terminal that keeps every byte written to it, escape codes stripped for reading. */
function terminal(): TerminalStream & { readonly text: () => string; readonly raw: () => string } {
  const chunks: string[] = [];
  return {
    isTTY: true,
    columns: 120,
    write: (chunk: string) => {
      chunks.push(chunk);
      return true;
    },
    raw: () => chunks.join(''),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what we strip
    text: () => chunks.join('').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''),
  };
}

/** Waits for a few redraws (the display redraws 8 times a second). */
const redraws = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 400));

function progress(p: Partial<IngestProgress>): IngestProgress {
  return {
    bytesRead: 0,
    bytesTotal: 100,
    rowsRead: 0,
    rowsLoaded: 0,
    rowsRejected: 0,
    rowsPerSecond: 0,
    etaSeconds: null,
    ...p,
  } as IngestProgress;
}

const displays: FileDisplay[] = [];
afterEach(() => {
  for (const d of displays.splice(0)) d.stop();
});

function open(stream: TerminalStream, onStop?: () => void): FileDisplay {
  const d = new FileDisplay(stream, plain, onStop);
  displays.push(d);
  return d;
}

describe('FileDisplay', () => {
  it('shows a waiting file with its stable looks, a queued one, one being detected, then a loading bar', async () => {
    const tty = terminal();
    const d = open(tty);
    d.waiting('rates.csv', 2, 6);
    d.waiting('codes.csv');
    d.queued('units.csv');
    d.detecting('fx.csv');
    await redraws();
    expect(tty.text()).toContain('rates.csv');
    expect(tty.text()).toContain('waiting until stable 2/6');
    expect(tty.text()).toMatch(/codes\.csv +waiting until stable\n?/);
    expect(tty.text()).toContain('stable; queued');
    expect(tty.text()).toContain('detecting the format');

    let now = progress({ bytesRead: 50, rowsRead: 5_000, rowsPerSecond: 12_345, etaSeconds: 1.2, rowsRejected: 3 });
    d.loading('rates.csv', { progress: () => now });
    await redraws();
    expect(tty.text()).toMatch(
      /rates\.csv +█{12}░{12} {2}50% \| 5,000 rows \| 12,345 rows\/s \| ETA 2 s \| 3 rejected/,
    );
    // The bar follows the source on its own: no call is needed for it to move.
    now = progress({ bytesRead: 100, rowsRead: 10_000, rowsPerSecond: 10_000 });
    await redraws();
    expect(tty.text()).toMatch(/█{24} 100% \| 10,000 rows/);
  });

  it('shows a loading file whose progress is not known yet as being detected, and an empty file as complete', async () => {
    const tty = terminal();
    const d = open(tty);
    d.loading('later.csv', { progress: () => undefined });
    d.loading('empty.csv', { progress: () => progress({ bytesTotal: 0 }) });
    await redraws();
    expect(tty.text()).toMatch(/later\.csv +detecting the format/);
    expect(tty.text()).toMatch(/empty\.csv +█{24} 100%/);
  });

  it('keeps the done line and log lines above the rows, and prints directly once no row is shown', async () => {
    const tty = terminal();
    const d = open(tty);
    d.log('before any row\n');
    expect(tty.raw()).toBe('before any row\n');
    d.waiting('a.csv', 1, 3);
    d.log('a log line\n');
    d.done('a.csv', '✓ a.csv: 3 rows into ref.a');
    await redraws();
    const text = tty.text();
    expect(text).toContain('a log line');
    expect(text).toContain('✓ a.csv: 3 rows into ref.a');
    expect(text.indexOf('a log line')).toBeLessThan(text.indexOf('✓ a.csv'));
    d.done('never-shown.csv');
    d.log('after\n');
    expect(tty.raw().endsWith('after\n')).toBe(true);
  });

  it('draws at most 8 rows and counts the others, with how many of them wait', async () => {
    const tty = terminal();
    const d = open(tty);
    d.loading('big.csv', { progress: () => progress({ bytesRead: 10 }) });
    for (let i = 0; i < 10; i++) d.waiting(`file-${i}.csv`, 0, 6);
    await redraws();
    const text = tty.text();
    expect(text).toContain('big.csv');
    expect(text).toContain('… 4 more file(s) (4 waiting)');
    expect(text).not.toContain('file-9.csv');
  });

  it('cuts a long name to its column, and stops once: rows go, onStop runs once, later calls do nothing', async () => {
    const tty = terminal();
    let stops = 0;
    const d = open(tty, () => {
      stops += 1;
    });
    d.waiting(`${'x'.repeat(40)}.csv`, 1, 2);
    await redraws();
    expect(tty.text()).toContain(`${'x'.repeat(31)}…`);
    d.stop();
    d.stop();
    expect(stops).toBe(1);
    const before = tty.raw().length;
    d.waiting('late.csv', 1, 2);
    await redraws();
    expect(tty.raw().length).toBe(before);
    d.log('after stop\n');
    expect(tty.raw().endsWith('after stop\n')).toBe(true);
  });
});

describe('showFileDisplay', () => {
  function context(isTTY: boolean) {
    const tty = { ...terminal(), isTTY };
    let diverted: ((text: string) => void) | undefined;
    const ctx = {
      runtime: { stderr: tty },
      out: { paintStderr: plain },
      stderr: {
        divert: (to: ((text: string) => void) | undefined) => {
          diverted = to;
        },
      },
    };
    return { ctx, tty, diverted: () => diverted };
  }

  it('is nothing when stderr is not a terminal', () => {
    const { ctx, diverted } = context(false);
    expect(showFileDisplay(ctx as never)).toBeUndefined();
    expect(diverted()).toBeUndefined();
  });

  it('on a terminal, diverts messages above its rows until it stops', () => {
    const { ctx, tty, diverted } = context(true);
    const display = showFileDisplay(ctx as never);
    expect(display).toBeInstanceOf(FileDisplay);
    diverted()?.('a message\n');
    expect(tty.raw()).toContain('a message\n');
    display?.stop();
    expect(diverted()).toBeUndefined();
  });
});
