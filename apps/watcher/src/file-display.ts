/**
 * What each file is doing, live on a terminal (cli-progress): waiting until it is stable (n/N),
 * queued, loading with a progress bar that follows the reader several times a second, then one
 * permanent line when it is done. Log lines and messages print above the rows, never into them.
 */

import { createRequire } from 'node:module';
import type { IngestProgress } from '@refdata/ingest';
import type { MultiBar, SingleBar } from 'cli-progress';
import type { AppContext } from './context.js';
import { type Paint, terminalText } from './output.js';

/** Anything that can tell an ingestion's progress now (an `IngestHandle`). */
export interface ProgressSource {
  progress(): IngestProgress | undefined;
}

/** The terminal the rows are drawn on (process.stderr on a TTY). */
export interface TerminalStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

type FileState =
  | { readonly kind: 'waiting'; readonly observed?: number; readonly needed?: number }
  | { readonly kind: 'queued' }
  | { readonly kind: 'detecting' }
  | { readonly kind: 'loading'; readonly source: ProgressSource };

interface Row {
  readonly name: string;
  state: FileState;
  readonly since: number;
}

/** What a row shows (the payload of its bar). */
interface RowView {
  readonly text: string;
  /** 0…1 for a loading file; undefined for a row without a bar. */
  readonly fraction: number | undefined;
}

/** ANSI: erase from the cursor to the end of the screen. */
const CLEAR_DOWN = '\u001b[0J';
/** Rows drawn at most; the others are counted on one more row. */
const MAX_ROWS = 8;
const BAR_WIDTH = 24;
/** Redraws per second (each one reads every loading file's position). */
const FPS = 8;

/**
 * The live file rows of `refdata watch` and `refdata ingest` on a terminal.
 *
 * @example
 * ```ts
 * const display = new FileDisplay(process.stderr, out.paint);
 * display.waiting('rates.csv', 2, 6);
 * display.loading('rates.csv', job);
 * display.done('rates.csv', '✓ rates.csv: 10 rows into ref.rates');
 * display.stop();
 * ```
 */
export class FileDisplay {
  readonly #stream: TerminalStream;
  readonly #paint: Readonly<Record<'green' | 'red' | 'yellow' | 'dim' | 'cyan', Paint>>;
  readonly #rows = new Map<string, Row>();
  readonly #multibar: MultiBar;
  readonly #bars: SingleBar[] = [];
  #views: RowView[] = [];
  #stopped = false;

  readonly #onStop: (() => void) | undefined;

  constructor(
    stream: TerminalStream,
    paint: Readonly<Record<'green' | 'red' | 'yellow' | 'dim' | 'cyan', Paint>>,
    onStop?: () => void,
  ) {
    this.#stream = stream;
    this.#paint = paint;
    this.#onStop = onStop;
    // cli-progress is loaded here, when a terminal shows the rows: commands that print to a pipe
    // or a file never pay its start-up (16 modules).
    const progress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
    this.#multibar = new progress.MultiBar({
      stream: stream as NodeJS.WritableStream,
      fps: FPS,
      // Keep the terminal's own wrapping: a long log line printed above the rows wraps as usual;
      // rows themselves are cut to the terminal's width.
      linewrap: true,
      hideCursor: true,
      clearOnComplete: true,
      format: (_options, _params, payload: { view?: RowView }) => payload.view?.text ?? '',
    });
    // Every redraw reads the position of each loading file: the bars move with the reader.
    this.#multibar.on('update-pre', () => this.#refresh());
  }

  /** A file seen in incoming/ that is not stable yet (`observed` of `needed` unchanged looks, when known). */
  waiting(name: string, observed?: number, needed?: number): void {
    this.#set(name, {
      kind: 'waiting',
      ...(observed === undefined ? {} : { observed }),
      ...(needed === undefined ? {} : { needed }),
    });
  }

  /** A stable file waiting for a free slot. */
  queued(name: string): void {
    this.#set(name, { kind: 'queued' });
  }

  /** A claimed file whose format is being detected. */
  detecting(name: string): void {
    this.#set(name, { kind: 'detecting' });
  }

  /** A file being loaded: its bar follows `source.progress()`. */
  loading(name: string, source: ProgressSource): void {
    this.#set(name, { kind: 'loading', source });
  }

  /** The file is done: its row goes, and `line` (when given) stays above the rows. */
  done(name: string, line?: string): void {
    this.#rows.delete(name);
    if (line !== undefined) this.log(`${line}\n`);
    this.#layout();
  }

  /** Prints `text` (whole lines) above the rows. */
  log(raw: string): void {
    const text = terminalText(raw);
    if (this.#stopped || this.#bars.length === 0) this.#stream.write(text);
    // Printed where the rows start: clear from there down first, so that no part of an old row
    // shows beside a shorter (or wrapped) line; the rows are drawn again below it.
    else this.#multibar.log(`${CLEAR_DOWN}${text}`);
  }

  /** Removes the rows and gives the terminal back (pending log lines are printed first). */
  stop(): void {
    if (this.#stopped) return;
    this.#rows.clear();
    if (this.#bars.length > 0) this.#multibar.update();
    this.#multibar.stop();
    this.#stopped = true;
    this.#onStop?.();
  }

  #set(name: string, state: FileState): void {
    if (this.#stopped) return;
    const row = this.#rows.get(name);
    if (row === undefined) this.#rows.set(name, { name, state, since: Date.now() });
    else row.state = state;
    this.#layout();
  }

  /** Matches the number of bars to the rows shown (outside a redraw: removing a bar redraws). */
  #layout(): void {
    if (this.#stopped) return;
    const views = this.#computeViews();
    while (this.#bars.length < views.length) {
      this.#bars.push(this.#multibar.create(1, 0, { view: views[this.#bars.length] }));
    }
    while (this.#bars.length > views.length) {
      const bar = this.#bars.pop();
      if (bar !== undefined) this.#multibar.remove(bar);
    }
    this.#views = views;
    this.#apply();
  }

  #refresh(): void {
    this.#views = this.#computeViews().slice(0, this.#bars.length);
    this.#apply();
  }

  #apply(): void {
    this.#bars.forEach((bar, i) => {
      const view = this.#views[i];
      bar.update(view?.fraction ?? 0, { view });
    });
  }

  #computeViews(): RowView[] {
    const order = { loading: 0, detecting: 1, queued: 2, waiting: 3 } as const;
    const rows = [...this.#rows.values()].sort(
      (a, b) => order[a.state.kind] - order[b.state.kind] || a.since - b.since,
    );
    const shown = rows.length > MAX_ROWS ? rows.slice(0, MAX_ROWS - 1) : rows;
    const views = shown.map((row) => this.#view(row));
    if (shown.length < rows.length) {
      const rest = rows.slice(shown.length);
      const waiting = rest.filter((r) => r.state.kind === 'waiting').length;
      views.push({
        text: this.#paint.dim(`  … ${rest.length} more file(s)${waiting > 0 ? ` (${waiting} waiting)` : ''}`),
        fraction: undefined,
      });
    }
    return views;
  }

  #view(row: Row): RowView {
    const name = fit(terminalText(row.name), 32);
    const { state } = row;
    switch (state.kind) {
      case 'waiting': {
        const count = state.needed === undefined ? '' : ` ${state.observed ?? 0}/${state.needed}`;
        return { text: `  ${name}  ${this.#paint.dim(`waiting until stable${count}`)}`, fraction: undefined };
      }
      case 'queued':
        return { text: `  ${name}  ${this.#paint.dim('stable; queued')}`, fraction: undefined };
      case 'detecting':
        return { text: `  ${name}  ${this.#paint.cyan('detecting the format')}`, fraction: undefined };
      case 'loading': {
        const p = state.source.progress();
        if (p === undefined) return { text: `  ${name}  ${this.#paint.cyan('detecting the format')}`, fraction: 0 };
        const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesRead / p.bytesTotal) : 1;
        const filled = Math.round(fraction * BAR_WIDTH);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
        const eta = p.etaSeconds === null ? '' : ` | ETA ${Math.ceil(p.etaSeconds)} s`;
        const rejected = p.rowsRejected > 0 ? ` | ${this.#paint.yellow(`${p.rowsRejected} rejected`)}` : '';
        return {
          text:
            `  ${name}  ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% | ` +
            `${p.rowsRead.toLocaleString('en-US')} rows | ${Math.round(p.rowsPerSecond).toLocaleString('en-US')} rows/s${eta}${rejected}`,
          fraction,
        };
      }
    }
  }
}

/** `name` cut or padded to `width` characters. */
function fit(name: string, width: number): string {
  if (name.length > width) return `${name.slice(0, width - 1)}…`;
  return name.padEnd(width);
}

/**
 * Puts a {@link FileDisplay} on the terminal when stderr is one (undefined otherwise), with log
 * lines and messages diverted above its rows until it stops.
 *
 * @example
 * ```ts
 * const display = showFileDisplay(ctx);
 * try { … } finally { display?.stop(); }
 * ```
 */
export function showFileDisplay(ctx: Pick<AppContext, 'runtime' | 'out' | 'stderr'>): FileDisplay | undefined {
  if (ctx.runtime.stderr.isTTY !== true) return undefined;
  const display = new FileDisplay(ctx.runtime.stderr, ctx.out.paintStderr, () => ctx.stderr.divert(undefined));
  ctx.stderr.divert((text) => display.log(text));
  return display;
}
