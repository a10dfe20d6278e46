/**
 * `refdata watch [--once]`: composes the monitor, the ingestor and the database into the service.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createMonitor, type Monitor, type MonitorSummary } from '@refdata/monitor';
import { AccessTrail } from '../access-trail.js';
import { createAppIngestor } from '../app-ingestor.js';
import { createDbClaimStore } from '../claim-store.js';
import { syncDatasets } from '../datasets.js';
import { errorCode, errorMessage } from '../errors.js';
import { type FileDisplay, showFileDisplay } from '../file-display.js';
import { createFileHandler, type FileOutcome } from '../file-handler.js';
import { type MetricsServer, startMetricsServer, WatcherMetrics } from '../metrics.js';
import type { Output } from '../output.js';
import { type Retention, startRetention } from '../retention.js';
import { ensureStageFolders } from './init.js';
import type { CommandEnv } from './shared.js';

/** Signals that stop the service gracefully (a second one stops it at once). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Runs `refdata watch`. */
export async function watchCommand({ ctx, opts }: CommandEnv): Promise<number> {
  const { config, logger } = ctx;
  const metrics = new WatcherMetrics();
  // A drop root that did not exist is created, and said: a mistyped --root otherwise reads as
  // "nothing to do".
  if (!existsSync(config.root)) {
    logger.warn(
      { root: config.root, setBy: config.rootSource },
      'the drop root did not exist; it was created with empty stage folders (check the setting if files were expected)',
    );
  }
  await ensureStageFolders(config.root, config.rootSource);
  const db = await ctx.openDb({ create: true, metrics });
  await syncDatasets(db, config.datasets);

  const ingestor = createAppIngestor(config, db, logger);
  ingestor.on('started', (info) => metrics.detectionSeconds.observe(info.detectMs / 1000));

  const outcomes: FileOutcome[] = [];
  // On a terminal, each file's state live (logs print above the rows).
  const display = showFileDisplay(ctx);
  const handler = createFileHandler({
    ingestor,
    db,
    config,
    logger: logger.child({ component: 'handler' }),
    scrub: (text) => ctx.scrubber.scrub(text),
    metrics,
    onOutcome: (o) => {
      outcomes.push(o);
      display?.done(o.name, doneLine(ctx.out.paintStderr, o));
    },
    onJob: (file, job) => display?.loading(file.name, job),
  });

  const monitor = createMonitor({
    root: config.root,
    handler,
    store: createDbClaimStore(db.files, { scrub: (text) => ctx.scrubber.scrub(text) }),
    intervalSeconds: config.monitor.intervalSeconds,
    stabilityChecks: config.monitor.stabilityChecks,
    mode: config.monitor.mode,
    requireMarker: config.monitor.requireMarker,
    concurrency: config.monitor.concurrency,
    leaseMs: config.monitor.leaseMs,
    gracePeriodMs: config.monitor.gracePeriodMs,
    logger,
    ...(config.monitor.include === undefined ? {} : { include: config.monitor.include }),
    ...(config.monitor.exclude === undefined ? {} : { exclude: config.monitor.exclude }),
  });
  // The access trail: each operation on a file (seen, moved, claimed, removed …) in the audit table.
  const trail = new AccessTrail({ db, logger: logger.child({ component: 'access-trail' }) });
  monitor.on('operation', (op) => trail.record(op));
  monitor.on('settled', (e) => {
    metrics.files.inc({ status: e.to });
    if (e.to === 'archived') metrics.lastSuccess.set(Date.now() / 1000);
    display?.done(e.name);
  });
  // One line when a file is first seen and one when it is stable, not one per observation (the
  // stability window is 90 s by default: the operator learns at once that the file was noticed).
  monitor.on('stability', (e) => {
    if (e.kind === 'seen') {
      logger.info(
        { file: { name: e.name }, size: e.size, rule: e.rule, checks: e.required, readyInMs: e.readyInMs },
        'file seen; waiting until it is stable',
      );
    } else if (e.kind === 'stable') {
      logger.info({ file: { name: e.name }, size: e.size, rule: e.rule }, 'file stable; claiming it');
    }
  });
  if (display !== undefined) followStates(monitor, display);
  // Problems need no listener here: the monitor logs each one (once) through this logger, whose
  // destination scrubs secrets from every line.
  metrics.queueDepth.onCollect(() => {
    const s = monitor.stats();
    metrics.queueDepth.set(s.pending + s.queued);
    metrics.inFlight.set(s.inFlight);
  });

  // RETENTION_DAYS: the service prunes old history at start and every RETENTION_INTERVAL.
  let retention: Retention | undefined;
  if (config.retention.maxAgeMs !== undefined) {
    retention = startRetention({
      db,
      maxAgeMs: config.retention.maxAgeMs,
      intervalMs: config.retention.intervalMs,
      logger: logger.child({ component: 'retention' }),
    });
  }

  let server: MetricsServer | undefined;
  if (config.metrics.port !== undefined) {
    server = await startMetricsServer({
      metrics,
      port: config.metrics.port,
      host: config.metrics.host,
      health: async () => {
        const h = await db.health();
        const s = monitor.stats();
        return {
          ok: h.ok,
          database: h.ok ? 'reachable' : 'unreachable',
          queued: s.queued,
          pending: s.pending,
          inFlight: s.inFlight,
          lastSuccessAt: s.lastSuccessAt,
        };
      },
    });
    logger.info({ url: `${server.url}/metrics`, port: server.port }, 'metrics endpoint listening');
  }

  try {
    logger.info(
      {
        root: config.root,
        database: db.displayUrl,
        intervalSeconds: config.monitor.intervalSeconds,
        stabilityChecks: config.monitor.stabilityChecks,
        mode: config.monitor.mode,
        once: opts.once === true,
      },
      'watcher started',
    );
    if (opts.once === true) {
      const summary = await runOnceStoppable(ctx, monitor);
      await printSummary(ctx, summary, outcomes, db.displayUrl, opts.json === true);
      return 0;
    }
    await runUntilSignal(ctx, monitor);
    return 0;
  } finally {
    display?.stop();
    await retention?.stop();
    await server?.close();
    await ingestor.close();
    await trail.close();
  }
}

/**
 * Shows each file's lifecycle on the display: waiting until stable, queued, detecting; the
 * handler shows the loading bar and the outcome.
 */
function followStates(monitor: Monitor, display: FileDisplay): void {
  // Each stability observation moves the file's "waiting n/N" on.
  monitor.on('stability', (e) => {
    if (e.kind !== 'stable') display.waiting(e.name, e.checks, e.required);
  });
  monitor.on('transition', (e) => {
    switch (e.to) {
      case 'detected':
        display.waiting(e.name);
        break;
      case 'ready':
        display.queued(e.name);
        break;
      case 'claimed':
      case 'processing':
        display.detecting(e.name);
        break;
      default:
        break;
    }
  });
}

/** The line a finished file leaves on the terminal. */
function doneLine(paint: Output['paintStderr'], o: FileOutcome): string {
  const table = o.table === null ? '' : ` ref.${o.table}`;
  switch (o.state) {
    case 'archived':
      return (
        `${paint.green('✓')} ${o.name} →${table}: ${o.rowsLoaded.toLocaleString('en-US')} row${o.rowsLoaded === 1 ? '' : 's'}` +
        (o.rowsRejected > 0 ? `, ${o.rowsRejected} rejected` : '')
      );
    case 'duplicate':
      return `${paint.yellow('=')} ${o.name}: duplicate, already loaded into${table}`;
    case 'held':
      return `${paint.yellow('‖')} ${o.name} held, nothing changed: apply it with \`refdata release ${o.fileId}\``;
    default:
      // The reason is in the log line just above and in NAME.error.json.
      return `${paint.red('✗')} ${o.name} failed (${o.errorCode ?? 'error'})`;
  }
}

/** `runOnce`, stopped gracefully by SIGINT/SIGTERM (a second signal exits at once). */
async function runOnceStoppable(
  ctx: CommandEnv['ctx'],
  monitor: { runOnce(): Promise<MonitorSummary>; stop(): Promise<void> },
): Promise<MonitorSummary> {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    ctx.logger.info({ signal }, 'stopping: finishing files in flight');
    void monitor.stop();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    return await monitor.runOnce();
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

async function runUntilSignal(
  ctx: CommandEnv['ctx'],
  monitor: { start(): Promise<void>; stop(): Promise<void> },
): Promise<void> {
  const { logger, config } = ctx;
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      logger.warn({ signal }, 'second signal: exiting now; files in processing/ are recovered on the next start');
      process.exit(130);
    }
    logger.info({ signal, gracePeriodMs: config.monitor.gracePeriodMs }, 'stopping: finishing files in flight');
    stopping = monitor.stop().then(resolveStopped, (err: unknown) => {
      logger.error({ code: errorCode(err) }, ctx.scrubber.scrub(errorMessage(err)));
      resolveStopped();
    });
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    const running = monitor.start();
    // start() may resolve when watching has begun or when the monitor stops; either way wait for the signal.
    await Promise.race([stopped, running.then(() => stopped)]);
    await running;
    logger.info({}, 'watcher stopped');
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}

async function printSummary(
  ctx: CommandEnv['ctx'],
  summary: MonitorSummary,
  outcomes: readonly FileOutcome[],
  database: string,
  json: boolean,
): Promise<void> {
  const { out, config } = ctx;
  const tables = new Map<string, { rows: number; files: string[] }>();
  for (const o of outcomes) {
    if (o.state !== 'archived' || o.table === null) continue;
    const t = tables.get(o.table) ?? { rows: 0, files: [] };
    t.rows += o.rowsLoaded;
    t.files.push(o.name);
    tables.set(o.table, t);
  }
  const failed = outcomes.filter((o) => o.state === 'failed');
  if (json) {
    out.json({
      ...summary,
      files: outcomes,
      tables: [...tables].map(([table, t]) => ({ table: `ref.${table}`, rows: t.rows, files: t.files })),
      database,
      root: config.root,
    });
    return;
  }
  const total = summary.archived + summary.failed + summary.duplicate + summary.held;
  out.line(
    `Processed ${total} file${total === 1 ? '' : 's'}: ${out.paint.green(`${summary.archived} archived`)}, ` +
      `${summary.failed > 0 ? out.paint.red(`${summary.failed} failed`) : '0 failed'}, ` +
      `${summary.duplicate} duplicate, ${summary.held} held` +
      (summary.pending > 0 ? `; ${summary.pending} not yet stable (left in incoming/)` : '.'),
  );
  if (tables.size > 0) {
    out.table(
      ['table', 'rows loaded', 'from'],
      [...tables]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([table, t]) => [`ref.${table}`, t.rows, t.files.join(', ')]),
    );
  }
  for (const f of failed) out.line(`${out.paint.red('failed')} ${f.name}: ${f.errorCode} ${f.message ?? ''}`);
  if (failed.length > 0) out.line(`Reasons are beside each file in ${join(config.root, 'failed')} (NAME.error.json).`);
  const held = outcomes.filter((o) => o.state === 'held');
  for (const h of held) {
    const release = `refdata release ${h.fileId}`;
    const why = h.message ?? 'Held by the destructive-replace guard.';
    out.line(
      `${out.paint.yellow('held')} ${h.name}: ${why}${why.includes(release) ? '' : ` Apply it with \`${release}\`.`}`,
    );
  }
  if (held.length > 0) {
    out.line(`Nothing was changed for held files; they wait in ${join(config.root, 'held')} (NAME.held.json).`);
  }
  const left = await countEntries(join(config.root, 'incoming'));
  if (left > 0 && summary.pending === 0)
    out.line(`${left} file(s) remain in incoming/ (ignored names or not yet stable).`);
  out.line(`Database: ${database}`);
}

async function countEntries(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => !n.startsWith('.')).length;
  } catch {
    return 0;
  }
}
