import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig, tlsOptions } from './config.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'refdata-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: 'APP_CONFIG_INVALID' });
    return (err as Error).message;
  }
  throw new Error('expected APP_CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('keeps history and logs to stderr by default; RETENTION_DAYS and LOG_FILE turn pruning and a rotated file on', () => {
    const cwd = tempDir();
    const plain = loadConfig({ env: {}, cwd });
    expect(plain.retention).toEqual({ maxAgeMs: undefined, intervalMs: 3_600_000 });
    expect(plain.logFile).toBeUndefined();
    const on = loadConfig({
      env: {
        RETENTION_DAYS: '0.5',
        RETENTION_INTERVAL: '60',
        LOG_FILE: 'logs/refdata.log',
        LOG_FILE_SIZE: '5M',
        LOG_FILE_FREQUENCY: '30',
        LOG_FILE_KEEP: '3',
      },
      cwd,
    });
    expect(on.retention).toEqual({ maxAgeMs: 43_200_000, intervalMs: 60_000 });
    expect(on.logFile).toEqual({ path: join(cwd, 'logs', 'refdata.log'), size: '5m', frequency: 30_000, keep: 3 });
    writeFileSync(
      join(cwd, 'refdata.config.json'),
      JSON.stringify({ log: { file: 'l/r.log', fileFrequency: 'hourly' }, retention: { days: 90 } }),
    );
    const fromFile = loadConfig({ env: {}, cwd });
    expect(fromFile.logFile).toEqual({ path: join(cwd, 'l', 'r.log'), size: '10m', frequency: 'hourly', keep: 14 });
    expect(fromFile.retention.maxAgeMs).toBe(90 * 86_400_000);
    const message = configError(() =>
      loadConfig({
        env: { RETENTION_DAYS: '0', LOG_FILE: 'x.log', LOG_FILE_SIZE: '10', LOG_FILE_FREQUENCY: 'weekly' },
        cwd,
      }),
    );
    expect(message).toContain('RETENTION_DAYS (environment variable): got "0"');
    expect(message).toContain(
      'LOG_FILE_SIZE (environment variable): got "10"; allowed: a size with its unit k, m or g',
    );
    expect(message).toContain('LOG_FILE_FREQUENCY (environment variable): got "weekly"');
  });

  it('uses the seed defaults when nothing is configured', () => {
    const cwd = tempDir();
    const c = loadConfig({ env: {}, cwd });
    expect(c.monitor).toMatchObject({ intervalSeconds: 15, stabilityChecks: 6, concurrency: 2, mode: 'poll' });
    expect(c.ingest).toMatchObject({
      batchSize: 990,
      progressIntervalSeconds: 5,
      typeInference: true,
      typeSampleRows: 1000,
      maxErrors: 0,
    });
    expect(c.database).toMatchObject({ poolSize: 10, maxRetries: 3, retryBackoffSeconds: 1 });
    expect(c.root).toBe(join(cwd, 'drop'));
    expect(c.db).toMatchObject({ dialect: 'sqlite', url: 'sqlite:./data/refdata.db' });
    expect(c.metrics).toEqual({ port: undefined, host: '127.0.0.1' });
    expect(Object.isFrozen(c.monitor)).toBe(true);
  });

  it('reads the seed environment variables', () => {
    const c = loadConfig({
      env: {
        MONITOR_INTERVAL: '0.5',
        STABILITY_CHECKS: '2',
        INGEST_BATCH_SIZE: '500',
        INGEST_PROGRESS_INTERVAL: '1',
        INGEST_TYPE_INFERENCE: 'false',
        INGEST_TYPE_SAMPLE_ROWS: '50',
        DB_POOL_SIZE: '4',
        DB_MAX_RETRIES: '0',
        DB_RETRY_BACKOFF: '2.5',
      },
      cwd: tempDir(),
    });
    expect(c.monitor.intervalSeconds).toBe(0.5);
    expect(c.monitor.stabilityChecks).toBe(2);
    expect(c.ingest).toMatchObject({
      batchSize: 500,
      progressIntervalSeconds: 1,
      typeInference: false,
      typeSampleRows: 50,
    });
    expect(c.database).toMatchObject({ poolSize: 4, maxRetries: 0, retryBackoffSeconds: 2.5 });
  });

  it('lets flags win over the environment, and the environment over the config file', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'refdata.config.json'),
      JSON.stringify({ monitor: { intervalSeconds: 3, stabilityChecks: 9 }, ingest: { batchSize: 10 } }),
    );
    const c = loadConfig({ env: { MONITOR_INTERVAL: '7' }, flags: { '--interval': '1' }, cwd });
    expect(c.monitor.intervalSeconds).toBe(1);
    expect(c.monitor.stabilityChecks).toBe(9);
    expect(c.ingest.batchSize).toBe(10);
    expect(c.configFile).toBe(join(cwd, 'refdata.config.json'));
    const envOnly = loadConfig({ env: { MONITOR_INTERVAL: '7' }, cwd });
    expect(envOnly.monitor.intervalSeconds).toBe(7);
  });

  it('finds refdata.config.json in the drop root and resolves its paths from its folder', () => {
    const cwd = tempDir();
    const root = join(cwd, 'drop');
    mkdirSync(root);
    writeFileSync(join(root, 'refdata.config.json'), JSON.stringify({ database: { url: 'sqlite:meta.db' } }));
    const c = loadConfig({ env: { REFDATA_ROOT: root }, cwd });
    expect(c.configFile).toBe(join(root, 'refdata.config.json'));
    expect(c.db.url).toBe(`sqlite:${join(root, 'meta.db')}`);
  });

  it('names the setting, its source, what arrived and what is allowed', () => {
    const message = configError(() =>
      loadConfig({
        env: { MONITOR_INTERVAL: 'abc', STABILITY_CHECKS: '0', INGEST_TYPE_INFERENCE: 'maybe' },
        cwd: tempDir(),
      }),
    );
    expect(message).toContain('MONITOR_INTERVAL (environment variable): got "abc"; allowed: seconds greater than 0');
    expect(message).toContain(
      'STABILITY_CHECKS (environment variable): got "0"; allowed: a whole number from 1 to 1000',
    );
    expect(message).toContain('INGEST_TYPE_INFERENCE (environment variable): got "maybe"; allowed: true or false');
  });

  it('reports flags and config-file settings by their own names', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'refdata.config.json'),
      JSON.stringify({ ingest: { batchSize: -1 }, monitor: { speed: 1 } }),
    );
    const message = configError(() => loadConfig({ env: {}, flags: { '--metrics-port': '70000' }, cwd }));
    expect(message).toContain('--metrics-port (command-line flag): got "70000"; allowed: a TCP port from 0 to 65535');
    expect(message).toMatch(/monitor in .*refdata\.config\.json: .*speed/);
  });

  it('validates datasets: upsert needs key columns, types must be known kinds', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'refdata.config.json'),
      JSON.stringify({ datasets: { currencies: { mode: 'upsert' }, 'ref.units': { types: { factor: 'float' } } } }),
    );
    const message = configError(() => loadConfig({ env: {}, cwd }));
    expect(message).toMatch(/datasets\.currencies\.keyColumns in .*: mode upsert needs key columns/);
    expect(message).toMatch(/datasets\.ref\.units\.types\.factor/);
  });

  it('reads datasets keyed by table (a ref. prefix is dropped)', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'refdata.config.json'),
      JSON.stringify({
        datasets: { 'ref.currencies': { mode: 'upsert', keyColumns: ['code'], types: { numeric_code: 'text' } } },
      }),
    );
    const c = loadConfig({ env: {}, cwd });
    expect(c.datasets).toEqual([
      expect.objectContaining({
        table: 'currencies',
        mode: 'upsert',
        keyColumns: ['code'],
        types: { numeric_code: 'text' },
      }),
    ]);
  });

  it('refuses a password in the config file and never echoes secrets', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'refdata.config.json'), JSON.stringify({ database: { password: 'Hunter2-in-file' } }));
    const message = configError(() => loadConfig({ env: {}, cwd }));
    expect(message).toContain('database.password');
    expect(message).toContain('db_password');
    expect(message).not.toContain('Hunter2-in-file');
  });

  it('masks the password of an invalid database URL', () => {
    const message = configError(() =>
      loadConfig({ env: { REFDATA_DB: 'postgres://sa:Top$ecret1@h/db' }, cwd: tempDir() }),
    );
    expect(message).toContain('REFDATA_DB');
    expect(message).not.toContain('Top$ecret1');
  });

  it('builds a SQL Server URL from db_host, db_name, db_user and keeps db_password out of it', () => {
    const c = loadConfig({
      env: { db_host: 'sql.example', db_name: 'refdata', db_user: 'loader', db_password: 'p@ss:word/1' },
      cwd: tempDir(),
    });
    expect(c.db.dialect).toBe('mssql');
    expect(c.db.url).toBe('mssql://loader@sql.example/refdata');
    expect(c.db.password).toBe('p@ss:word/1');
    expect(c.secrets).toContain('p@ss:word/1');
    // SQL Server's HOST,PORT form (the app reads the seed's variables; @refdata/db reads none).
    const port = loadConfig({ env: { db_host: 'sql.example,1500', db_name: 'r', db_user: 'u' }, cwd: tempDir() });
    expect(port.db.url).toBe('mssql://u@sql.example:1500/r');
  });

  it('fails clearly when --config names a missing file', () => {
    expect(() => loadConfig({ env: {}, configFile: 'nope.json', cwd: tempDir() })).toThrow(
      expect.objectContaining({ code: 'APP_CONFIG_UNREADABLE', message: expect.stringContaining('does not exist') }),
    );
  });

  it('fails clearly on a config file that is not JSON', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'refdata.config.json'), '{ monitor: ');
    expect(() => loadConfig({ env: {}, cwd })).toThrow(expect.objectContaining({ code: 'APP_CONFIG_UNREADABLE' }));
  });
});

describe('SQL Server TLS settings', () => {
  const URL_TRUST = 'mssql://u@db.example/refdata?encrypt=true&trustServerCertificate=true';
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

  it('leaves trustServerCertificate to the URL unless it is set explicitly (flag-less: env, then file)', () => {
    const cwd = tempDir();
    const unset = loadConfig({ env: { REFDATA_DB: URL_TRUST, db_password: 'pw' }, cwd });
    expect(unset.database.trustServerCertificate).toBeUndefined();
    expect(tlsOptions(unset.database)).toEqual({});
    const envFalse = loadConfig({
      env: { REFDATA_DB: URL_TRUST, db_password: 'pw', DB_TRUST_SERVER_CERTIFICATE: 'false' },
      cwd,
    });
    expect(tlsOptions(envFalse.database)).toEqual({ trustServerCertificate: false });
    writeFileSync(join(cwd, 'refdata.config.json'), JSON.stringify({ database: { trustServerCertificate: true } }));
    const fromFile = loadConfig({ env: { REFDATA_DB: 'mssql://u@db.example/refdata', db_password: 'pw' }, cwd });
    expect(tlsOptions(fromFile.database)).toEqual({ trustServerCertificate: true });
    const envOverFile = loadConfig({
      env: { REFDATA_DB: 'mssql://u@db.example/refdata', db_password: 'pw', DB_TRUST_SERVER_CERTIFICATE: 'no' },
      cwd,
    });
    expect(tlsOptions(envOverFile.database)).toEqual({ trustServerCertificate: false });
  });

  it('reads DB_CA_FILE / database.caFile (relative to the config file) and checks it at start-up', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'certs'));
    writeFileSync(join(cwd, 'certs', 'ca.crt'), PEM);
    const fromEnv = loadConfig({ env: { DB_CA_FILE: 'certs/ca.crt' }, cwd });
    expect(tlsOptions(fromEnv.database)).toEqual({ caFile: join(cwd, 'certs', 'ca.crt') });
    const sub = join(cwd, 'conf');
    mkdirSync(sub);
    writeFileSync(join(sub, 'refdata.config.json'), JSON.stringify({ database: { caFile: '../certs/ca.crt' } }));
    const fromFile = loadConfig({ env: {}, configFile: join(sub, 'refdata.config.json'), cwd });
    expect(fromFile.database.caFile).toBe(join(cwd, 'certs', 'ca.crt'));

    const missing = configError(() => loadConfig({ env: { DB_CA_FILE: 'certs/nope.crt' }, cwd }));
    expect(missing).toContain('DB_CA_FILE');
    expect(missing).toContain('cannot be read (ENOENT)');
    expect(missing).toContain("SQL Server's CA certificate");
    writeFileSync(join(cwd, 'certs', 'key.txt'), 'not a certificate\n');
    const notPem = configError(() => loadConfig({ env: { DB_CA_FILE: 'certs/key.txt' }, cwd }));
    expect(notPem).toContain('DB_CA_FILE');
    expect(notPem).toContain('holds no PEM certificate');
    writeFileSync(join(sub, 'refdata.config.json'), JSON.stringify({ database: { caFile: 'gone.crt' } }));
    expect(configError(() => loadConfig({ env: {}, configFile: join(sub, 'refdata.config.json'), cwd }))).toContain(
      'database.caFile',
    );
  });
});
