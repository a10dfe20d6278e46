/**
 * A small Prometheus registry and the opt-in HTTP endpoint (`/metrics`, `/healthz`), bound to
 * 127.0.0.1 unless configured otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError, AppErrorCode } from './errors.js';

type Labels = Readonly<Record<string, string>>;

const DEFAULT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function withLabel(key: string, extra: string): string {
  return key === '' ? `{${extra}}` : `${key.slice(0, -1)},${extra}}`;
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(n);
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

/** A monotonically increasing value per label set. */
export class Counter implements Family {
  readonly type = 'counter' as const;
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  /** Adds `by` (default 1). */
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  /** Current value for a label set. */
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.#values].map(([k, v]) => `${this.name}${k} ${fmt(v)}`);
  }
}

/** A value that goes up and down; optionally computed when scraped. */
export class Gauge implements Family {
  readonly type = 'gauge' as const;
  readonly #values = new Map<string, number>();
  #collect: (() => void) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  /** Sets the value for a label set. */
  set(value: number, labels: Labels = {}): void {
    this.#values.set(labelKey(labels), value);
  }
  /** Called before each scrape to refresh the values. */
  onCollect(fn: () => void): void {
    this.#collect = fn;
  }
  render(): string[] {
    this.#collect?.();
    return [...this.#values].map(([k, v]) => `${this.name}${k} ${fmt(v)}`);
  }
}

/** Observations counted into cumulative buckets (seconds). */
export class Histogram implements Family {
  readonly type = 'histogram' as const;
  readonly #series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {}
  /** Records one observation. */
  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++)
      if (value <= (this.buckets[i] ?? 0)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }
  /** Number of observations for a label set. */
  count(labels: Labels = {}): number {
    return this.#series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string[] {
    const lines: string[] = [];
    for (const [k, s] of this.#series) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${withLabel(k, `le="${fmt(b)}"`)} ${s.counts[i] ?? 0}`);
      });
      lines.push(`${this.name}_bucket${withLabel(k, 'le="+Inf"')} ${s.count}`);
      lines.push(`${this.name}_sum${k} ${fmt(s.sum)}`);
      lines.push(`${this.name}_count${k} ${s.count}`);
    }
    return lines;
  }
}

/**
 * The watcher's metrics.
 *
 * @example
 * ```ts
 * const metrics = new WatcherMetrics();
 * metrics.files.inc({ status: 'archived' });
 * metrics.render(); // Prometheus text exposition format 0.0.4
 * ```
 */
export class WatcherMetrics {
  /** Files that reached a terminal state in this process, by status. */
  readonly files: Counter = new Counter('refdata_files_total', 'Files that reached a terminal state, by status.');
  /** Rows loaded. */
  readonly rowsLoaded: Counter = new Counter('refdata_rows_loaded_total', 'Rows loaded into ref tables.');
  /** Rows rejected. */
  readonly rowsRejected: Counter = new Counter('refdata_rows_rejected_total', 'Rows rejected with a reason.');
  /** Current ingestion throughput. */
  readonly rowsPerSecond: Gauge = new Gauge(
    'refdata_rows_per_second',
    'Rows per second of the ingestions in flight (0 when idle).',
  );
  /** Time from the start of an ingestion until its format was detected. */
  readonly detectionSeconds: Histogram = new Histogram(
    'refdata_detection_seconds',
    'Format detection latency per file, in seconds.',
  );
  /** Database operation durations by operation. */
  readonly dbSeconds: Histogram = new Histogram(
    'refdata_db_operation_seconds',
    'Database operation durations, by operation, in seconds.',
  );
  /** Files waiting: seen but not yet stable, or queued. */
  readonly queueDepth: Gauge = new Gauge(
    'refdata_queue_depth',
    'Files seen in incoming/ or queued, not yet processing.',
  );
  /** Files being processed. */
  readonly inFlight: Gauge = new Gauge('refdata_files_in_flight', 'Files being processed now.');
  /** Unix time of the last archived file. */
  readonly lastSuccess: Gauge = new Gauge(
    'refdata_last_success_timestamp_seconds',
    'Unix time at which the last file was archived (0 before the first).',
  );

  readonly #families: Family[] = [
    this.files,
    this.rowsLoaded,
    this.rowsRejected,
    this.rowsPerSecond,
    this.detectionSeconds,
    this.dbSeconds,
    this.queueDepth,
    this.inFlight,
    this.lastSuccess,
  ];

  /** The registry in Prometheus text format. */
  render(): string {
    const out: string[] = [];
    for (const f of this.#families) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
    }
    return `${out.join('\n')}\n`;
  }
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  readonly metrics: WatcherMetrics;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly port: number;
  /** Health probe for `/healthz`: ok → 200, otherwise 503. */
  readonly health: () => Promise<{ readonly ok: boolean; readonly [k: string]: unknown }>;
}

/** A listening metrics endpoint. */
export interface MetricsServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text) and `/healthz` (JSON, 200 or 503).
 *
 * @example
 * ```ts
 * const server = await startMetricsServer({ metrics, port: 9464, health: async () => ({ ok: true }) });
 * // curl http://127.0.0.1:9464/metrics
 * await server.close();
 * ```
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : options.metrics.render());
      return;
    }
    if (path === '/healthz') {
      options.health().then(
        (report) => {
          res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(report));
        },
        (err: unknown) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, message: err instanceof Error ? err.message : String(err) }));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (err) =>
      reject(
        new AppError(
          AppErrorCode.METRICS_LISTEN,
          `The metrics endpoint cannot listen on ${host}:${options.port}: ${err.message}. ` +
            'Choose another --metrics-port (or METRICS_PORT), or 0 for any free port.',
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, host, () => resolvePromise());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.closeAllConnections();
        server.close(() => resolvePromise());
      }),
  };
}
