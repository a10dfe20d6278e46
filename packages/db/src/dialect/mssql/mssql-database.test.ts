// The SQL Server dialect and its client against a structural fake of tedious and the real tarn pool.
import { describe, expect, it, onTestFinished } from 'vitest';
import { type FakeResponse, type FakeStatement, fakeTedious, recordingLogger } from '../../../test/mssql-fakes.js';
import type { ColumnDef } from '../../types.js';
import type { MssqlUrl } from '../../url.js';
import { parseDatabaseUrl } from '../../url.js';
import { engineFrom, MssqlClient } from './mssql-client.js';
import { MssqlDatabase } from './mssql-database.js';
import { ENGINE_SQL } from './mssql-sql.js';
import { loadTarn } from './tedious-like.js';

const url = parseDatabaseUrl('mssql://loader:url-secret@db.example.com:1433/refdata') as MssqlUrl;
const noWait = { sleep: async () => {} };

async function fakeDb(respond: (s: FakeStatement) => FakeResponse, options: { maxRetries?: number } = {}) {
  const fake = fakeTedious(respond);
  const { logger, lines } = recordingLogger();
  const Pool = await loadTarn();
  const db = new MssqlDatabase(
    url,
    { password: 'opt-secret', logger, maxRetries: options.maxRetries ?? 0, retryBackoffSeconds: 0 },
    fake.module,
    Pool,
  );
  onTestFinished(() => db.close());
  return { db, fake, lines };
}

const columns: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
  { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
  { name: 'at', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
  { name: 'name', type: { kind: 'text' }, nullable: true },
  { name: 'big', type: { kind: 'bigint' }, nullable: true },
  { name: 'ok', type: { kind: 'boolean' }, nullable: true },
];
const row = [
  'EUR',
  '1234567890123456789012345678.1234567890',
  '2024-02-29T23:59:59.999',
  'Zürich € 漢字 😀',
  9007199254740993n,
  true,
];

describe('MssqlDatabase (fake tedious)', () => {
  it('never shows the password in its display URL or logs', async () => {
    const { db, lines } = await fakeDb(() => ({}));
    expect(db.displayUrl).toBe('mssql://loader@db.example.com:1433/refdata?encrypt=true');
    await db.health();
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
  });

  it('bulk-loads staging with keepNulls, no timeout, a pre-quoted table name, explicit lengths and exact text values', async () => {
    const { db, fake } = await fakeDb(() => ({}));
    const load = await db.beginLoad({ table: 'rates]x', columns });
    await load.write([
      { line: 2, values: row },
      { line: 3, values: ['USD', null, null, '', null, null] },
    ]);
    expect(fake.statements.some((s) => s.sql.startsWith('CREATE TABLE [stg]."rates]x.'))).toBe(true);
    const bulk = fake.bulks[0]!;
    expect(bulk.table).toMatch(/^\[stg\]\."rates\]x\.\d{8}T\d{9}Z\.[0-9a-f]{8}"$/);
    expect(bulk.options).toEqual({ keepNulls: true });
    expect(bulk.timeout).toBe(0);
    expect(bulk.columns).toEqual([
      { name: 'line', type: 'BigInt', options: { nullable: false } },
      { name: 'c0', type: 'NVarChar', options: { nullable: true, length: 3 } },
      { name: 'c1', type: 'NVarChar', options: { nullable: true, length: 64 } },
      { name: 'c2', type: 'NVarChar', options: { nullable: true, length: 64 } },
      { name: 'c3', type: 'NVarChar', options: { nullable: true, length: Number.POSITIVE_INFINITY } },
      { name: 'c4', type: 'BigInt', options: { nullable: true } },
      { name: 'c5', type: 'Bit', options: { nullable: true } },
    ]);
    expect(bulk.rows).toEqual([
      [2, ...row],
      [3, 'USD', null, null, '', null, null],
    ]);
  });

  it('falls back to parameterised INSERT in one transaction when bulk load is not permitted', async () => {
    const { db, fake, lines } = await fakeDb(() => ({}), { maxRetries: 1 });
    fake.failBulk.next = Object.assign(new Error('You do not have permission to use the bulk load statement.'), {
      name: 'RequestError',
      code: 'EREQUEST',
      number: 4834,
    });
    const wide: ColumnDef[] = Array.from({ length: 10 }, (_v, i) => ({
      name: `k${i}`,
      type: { kind: 'int' as const },
      nullable: true,
    }));
    const load = await db.beginLoad({ table: 'wide', columns: wide });
    const rows = Array.from({ length: 500 }, (_v, i) => ({
      line: i + 2,
      values: Array.from({ length: 10 }, (_w, j) => i * j),
    }));
    await load.write(rows);
    const inserts = fake.statements.filter((s) => s.sql.startsWith('INSERT INTO [stg].[wide.'));
    expect(inserts.map((s) => s.params.length)).toEqual([190 * 11, 190 * 11, 120 * 11]);
    expect(inserts.every((s) => s.params.length <= 2098)).toBe(true);
    expect(inserts[0]?.params.slice(0, 3).map((p) => [p.name, p.type, p.value])).toEqual([
      ['p0', 'BigInt', 2],
      ['p1', 'Int', 0],
      ['p2', 'Int', 0],
    ]);
    expect(fake.events.filter((e) => /^(begin|commit|rollback)/.test(e)).map((e) => e.split(' ')[0])).toEqual([
      'begin',
      'commit',
    ]);
    expect(lines.some((l) => l.msg?.includes('falling back to parameterised INSERT'))).toBe(true);
  });

  it('reports values that do not fit as conversion errors before anything reaches the server', async () => {
    const { db, fake } = await fakeDb(() => ({}));
    const load = await db.beginLoad({ table: 'r', columns });
    await load.write([{ line: 2, values: ['EUR', '1.12345678901', null, null, null, null] }]);
    expect(fake.bulks).toHaveLength(0);
  });

  it('refuses an out-of-range option, a non-integer line and a lease over 24 days before any statement', async () => {
    const fake = fakeTedious(() => ({}));
    const Pool = await loadTarn();
    expect(() => new MssqlDatabase(url, { poolSize: 0 }, fake.module, Pool)).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
    const { db, fake: used } = await fakeDb(() => ({}));
    const load = await db.beginLoad({ table: 'rates', columns });
    const before = used.statements.length;
    await expect(load.write([{ line: 2.5, values: row }])).rejects.toMatchObject({ code: 'DB_VALUE_INVALID' });
    await expect(
      db.files.claimNew({ path: '/a.csv', name: 'a.csv', size: 1 }, { instanceId: 'i', leaseMs: 2 ** 31 }),
    ).rejects.toMatchObject({ code: 'DB_OPTION_INVALID' });
    expect(used.statements.length).toBe(before);
    expect(fake.connections).toHaveLength(0);
  });

  it('claims through one compare-and-set batch read back by its token, and maps the row', async () => {
    const leaseUntil = new Date('2030-01-01T00:00:00.000Z');
    const isClaim = (sql: string): boolean => sql.includes('IF @@ROWCOUNT = 0');
    const { db, fake } = await fakeDb((s) => (isClaim(s.sql) ? { rows: [{ id: '42', lease_until: leaseUntil }] } : {}));
    const claim = await db.files.claimNew(
      { path: '/in/a.csv', name: 'a.csv', size: 3 },
      { instanceId: 'i1', leaseMs: 60_000 },
    );
    expect(claim).toMatchObject({ fileId: 42, leaseUntil });
    const statement = fake.statements.find((s) => isClaim(s.sql))!;
    expect(statement.params.map((p) => [p.name, p.type])).toEqual([
      ['path', 'NVarChar'],
      ['name', 'NVarChar'],
      ['size', 'BigInt'],
      ['mtime', 'BigInt'],
      ['instance', 'NVarChar'],
      ['lease_ms', 'Int'],
      ['token', 'UniqueIdentifier'],
    ]);
    expect(statement.params.find((p) => p.name === 'token')?.value).toBe(claim?.token);
  });

  it('reads a duplicate-key error of the active-path index as "claimed by another instance" (null)', async () => {
    const duplicate = Object.assign(new Error('Cannot insert duplicate key row'), {
      name: 'RequestError',
      number: 2601,
    });
    const { db } = await fakeDb((s) => (s.sql.includes('IF @@ROWCOUNT = 0') ? { error: duplicate } : {}));
    expect(
      await db.files.claimNew({ path: '/in/a.csv', name: 'a.csv', size: 3 }, { instanceId: 'i', leaseMs: 1000 }),
    ).toBeNull();
    const other = Object.assign(new Error('Invalid object name'), { name: 'RequestError', number: 208 });
    const { db: broken } = await fakeDb((s) => (s.sql.includes('IF @@ROWCOUNT = 0') ? { error: other } : {}));
    await expect(
      broken.files.claimNew({ path: '/in/a.csv', name: 'a.csv', size: 3 }, { instanceId: 'i', leaseMs: 1000 }),
    ).rejects.toMatchObject({ code: 'DB_QUERY_FAILED', number: 208 });
  });

  it('treats a malformed token as a lost claim without asking the server', async () => {
    const { db, fake } = await fakeDb(() => ({ rowCount: 1 }));
    const claim = { fileId: 1, token: 'not-a-guid', leaseUntil: new Date() };
    await expect(db.files.update(claim, { rowsRead: 1 })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    await expect(db.files.finish(claim, { status: 'failed' })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    expect(await db.files.heartbeat(claim, 1000)).toBe(false);
    expect(fake.statements.filter((s) => s.sql.startsWith('UPDATE'))).toEqual([]);
  });

  it('throws DB_CLAIM_LOST when the token no longer holds the row', async () => {
    const { db } = await fakeDb(() => ({ rowCount: 0 }));
    await expect(
      db.files.update(
        { fileId: 1, token: '6f1c2d3e-0000-4000-8000-000000000001', leaseUntil: new Date() },
        { rowsRead: 1 },
      ),
    ).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
  });
});

describe('MssqlClient (fake tedious + tarn)', () => {
  async function client(respond: (s: FakeStatement) => FakeResponse, maxRetries = 2) {
    const fake = fakeTedious(respond);
    const { logger, lines } = recordingLogger();
    const Pool = await loadTarn();
    const config = {
      server: 'h',
      authentication: { type: 'default' as const, options: { userName: 'u', password: 'p' } },
      options: { connectTimeout: 1000 } as never,
    };
    const c = new MssqlClient(fake.module, Pool, config, {
      poolSize: 2,
      retry: { maxRetries, baseSeconds: 0, ...noWait },
      logger,
    });
    onTestFinished(() => c.close());
    return { c, fake, lines };
  }

  it('listens for errors before connecting, resets connections on release and reuses them', async () => {
    const { c, fake } = await client(() => ({}));
    await c.unit('a', (s) => s.execute('SELECT 1;'), { transaction: false });
    await c.unit('b', (s) => s.execute('SELECT 2;'), { transaction: false });
    expect(fake.events).toEqual(['new 1', 'connect 1 (error listener: true)', 'reset 1', 'reset 1']);
  });

  it('retries a unit that failed with a deadlock on a fresh connection, and logs the retry', async () => {
    let calls = 0;
    const { c, fake, lines } = await client((s) =>
      s.sql === 'UPDATE x;' && calls++ === 0
        ? { error: Object.assign(new Error('deadlock victim'), { name: 'RequestError', number: 1205 }) }
        : {},
    );
    await c.unit('upd', (s) => s.execute('UPDATE x;'), { transaction: true });
    expect(fake.statements.filter((s) => s.sql === 'UPDATE x;').map((s) => s.connection)).toEqual([1, 2]);
    expect(fake.events).toContain('rollback 1');
    expect(fake.events).toContain('close 1');
    expect(lines.filter((l) => l.msg === 'transient database error; retrying')).toHaveLength(1);
  });

  it('does not retry permanent errors and rolls back only when still in a transaction', async () => {
    const { c, fake } = await client((s) =>
      s.sql === 'BAD;'
        ? { error: Object.assign(new Error('Invalid object name'), { name: 'RequestError', number: 208, state: 1 }) }
        : {},
    );
    const conn = () => fake.connections[0]!;
    await expect(
      c.unit(
        'bad',
        async (s) => {
          // The server rolled the transaction back by itself (e.g. XACT_ABORT): no ROLLBACK must be sent.
          conn().inTransaction = false;
          await s.execute('BAD;');
        },
        { transaction: true },
      ),
    ).rejects.toMatchObject({ code: 'DB_QUERY_FAILED', number: 208, state: 1, driverCode: undefined });
    expect(fake.statements.filter((s) => s.sql === 'BAD;')).toHaveLength(1);
    expect(fake.events.filter((e) => e.startsWith('rollback'))).toEqual([]);
  });

  it('destroys a connection that saw a socket error instead of reusing it', async () => {
    const { c, fake } = await client(() => ({}));
    await c.unit('a', (s) => s.execute('SELECT 1;'), { transaction: false });
    fake.connections[0]!.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await c.unit('b', (s) => s.execute('SELECT 2;'), { transaction: false });
    expect(
      fake.statements.filter((s) => s.sql.startsWith('SELECT ')).map((s) => s.sql.slice(0, 9) + s.connection),
    ).toEqual(['SELECT CA1', 'SELECT 1;1', 'SELECT CA2', 'SELECT 2;2']);
  });

  it('detects the engine once per connection: a SQL Server version string selects SQL Server, Babelfish its own', async () => {
    const versions = [
      { babelfish: null, version: 'Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64)' },
      { babelfish: 1, version: 'Babelfish for PostgreSQL with SQL Server Compatibility - 12.0.2000.8' },
    ];
    for (const [i, answer] of versions.entries()) {
      const { c, fake } = await client((s) => (s.sql === ENGINE_SQL ? { rows: [answer] } : {}));
      const engines: string[] = [];
      for (let n = 0; n < 3; n++) await c.unit('a', async (s) => void engines.push(s.engine), { transaction: false });
      expect(engines).toEqual(Array(3).fill(i === 0 ? 'sqlserver' : 'babelfish'));
      expect(fake.statements.filter((s) => s.sql === ENGINE_SQL)).toHaveLength(1);
    }
    expect(engineFrom(null, 'Microsoft SQL Server 2019 (RTM-CU22) - 15.0.4322.2 (X64)')).toBe('sqlserver');
    expect(engineFrom(undefined, undefined)).toBe('sqlserver');
    expect(engineFrom(1, 'anything')).toBe('babelfish');
    expect(engineFrom(null, 'Babelfish for PostgreSQL')).toBe('babelfish');
  });

  it('rejects with DB_UNAVAILABLE when login fails, without retrying permanent login errors', async () => {
    const { c, fake } = await client(() => ({}));
    fake.failConnect.next = Object.assign(new Error("Login failed for user 'u'."), {
      name: 'ConnectionError',
      code: 'ELOGIN',
    });
    await expect(c.unit('a', (s) => s.execute('SELECT 1;'), { transaction: false })).rejects.toMatchObject({
      code: 'DB_UNAVAILABLE',
      driverCode: 'ELOGIN',
    });
    expect(fake.connections).toHaveLength(1);
  });

  it('retries a login the server refuses because it is shutting down, and does not blame the credentials', async () => {
    // Babelfish while it stops (seen live): ELOGIN with PostgreSQL's 57P03 text.
    const shuttingDown = (): Error =>
      Object.assign(new Error('the database system is shutting down'), { name: 'ConnectionError', code: 'ELOGIN' });
    const { c, fake } = await client(() => ({}));
    fake.failConnect.next = shuttingDown();
    await c.unit('a', (s) => s.execute('SELECT 1;'), { transaction: false });
    expect(fake.connections).toHaveLength(2);

    const once = await client(() => ({}), 0);
    once.fake.failConnect.next = shuttingDown();
    const err = await once.c.unit('a', (s) => s.execute('SELECT 1;'), { transaction: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DB_UNAVAILABLE', driverCode: 'ELOGIN', transient: true });
    expect((err as Error).message).toMatch(/not accepting logins while .*shutting down.*retried/);
    expect((err as Error).message).not.toMatch(/db_password/);
  });
});
