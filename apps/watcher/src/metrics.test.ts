import { describe, expect, it, onTestFinished } from 'vitest';
import { startMetricsServer, WatcherMetrics } from './metrics.js';

describe('WatcherMetrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const m = new WatcherMetrics();
    m.files.inc({ status: 'archived' });
    m.files.inc({ status: 'archived' });
    m.files.inc({ status: 'failed' });
    m.rowsLoaded.inc({}, 1234);
    m.dbSeconds.observe(0.003, { operation: 'session.commit' });
    m.dbSeconds.observe(2, { operation: 'session.commit' });
    m.queueDepth.onCollect(() => m.queueDepth.set(7));
    const text = m.render();
    expect(text).toContain('# TYPE refdata_files_total counter');
    expect(text).toContain('refdata_files_total{status="archived"} 2');
    expect(text).toContain('refdata_files_total{status="failed"} 1');
    expect(text).toContain('refdata_rows_loaded_total 1234');
    expect(text).toContain('refdata_db_operation_seconds_bucket{operation="session.commit",le="0.005"} 1');
    expect(text).toContain('refdata_db_operation_seconds_bucket{operation="session.commit",le="2.5"} 2');
    expect(text).toContain('refdata_db_operation_seconds_bucket{operation="session.commit",le="+Inf"} 2');
    expect(text).toContain('refdata_db_operation_seconds_count{operation="session.commit"} 2');
    expect(text).toContain('refdata_queue_depth 7');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes label values', () => {
    const m = new WatcherMetrics();
    m.files.inc({ status: 'a"b\\c\nd' });
    expect(m.render()).toContain('refdata_files_total{status="a\\"b\\\\c\\nd"} 1');
  });
});

describe('startMetricsServer', () => {
  it('serves /metrics and /healthz on 127.0.0.1 by default', async () => {
    const metrics = new WatcherMetrics();
    let ok = true;
    const server = await startMetricsServer({ metrics, port: 0, health: async () => ({ ok }) });
    onTestFinished(() => server.close());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await res.text()).toContain('# HELP refdata_rows_per_second');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    ok = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
  });

  it('fails with APP_METRICS_LISTEN when the port is taken', async () => {
    const metrics = new WatcherMetrics();
    const first = await startMetricsServer({ metrics, port: 0, health: async () => ({ ok: true }) });
    onTestFinished(() => first.close());
    await expect(
      startMetricsServer({ metrics, port: first.port, health: async () => ({ ok: true }) }),
    ).rejects.toMatchObject({
      code: 'APP_METRICS_LISTEN',
    });
  });
});
