// TLS for real, live on a SQL Server-compatible engine serving TLS with a self-signed certificate
// (REFDATA_TEST_MSSQL_TLS: its URL; REFDATA_TEST_MSSQL_TLS_CA: the certificate's PEM file).
// Babelfish: REFDATA_BABELFISH_TLS=1 on a fresh REFDATA_BABELFISH_HOME; the certificate is
// <home>/tls/server.crt. Skipped when either variable is absent.
import { afterEach, describe, expect, it } from 'vitest';
import { wrapMssqlError } from '../src/dialect/mssql/mssql-client.js';
import { buildTediousConfig, loadTedious } from '../src/dialect/mssql/tedious-like.js';
import { type Database, isDbError, type OpenDatabaseOptions, openDatabase } from '../src/index.js';
import { noopLogger } from '../src/logger.js';
import { type MssqlUrl, parseDatabaseUrl } from '../src/url.js';

const tlsUrl = process.env.REFDATA_TEST_MSSQL_TLS;
const caFile = process.env.REFDATA_TEST_MSSQL_TLS_CA;

/** The server's URL with TLS on and only the given parameters added (its own encrypt/trust dropped). */
function withTls(extra: Record<string, string>): string {
  const u = new URL(tlsUrl as string);
  u.searchParams.delete('encrypt');
  u.searchParams.delete('trustServerCertificate');
  u.searchParams.set('encrypt', 'true');
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.toString();
}

/** `encrypt_option` of this connection's session, on a connection built exactly as the pool builds one. */
async function encryptOption(url: string, options: OpenDatabaseOptions = {}): Promise<unknown> {
  const tedious = await loadTedious();
  const conn = new tedious.Connection(buildTediousConfig(parseDatabaseUrl(url) as MssqlUrl, options, noopLogger));
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) =>
    conn.connect((err) => (err ? reject(wrapMssqlError(err, 'connecting')) : resolve())),
  );
  try {
    return await new Promise((resolve, reject) => {
      let value: unknown;
      const request = new tedious.Request(
        'SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID',
        (err) => (err ? reject(err) : resolve(value)),
      );
      request.on('row', (columns) => {
        value = columns[0]?.value;
      });
      conn.execSqlBatch(request);
    });
  } finally {
    conn.close();
  }
}

describe.skipIf(tlsUrl === undefined || caFile === undefined)('SQL Server TLS, live', () => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('refuses the self-signed certificate by default, naming caFile and trustServerCertificate', async () => {
    let caught: unknown;
    try {
      db = await openDatabase(withTls({}), { maxRetries: 0 });
      await db.migrate();
    } catch (err) {
      caught = err;
    }
    expect(isDbError(caught)).toBe(true);
    const err = caught as Error & { code: string; transient: boolean };
    expect(err.code).toBe('DB_UNAVAILABLE');
    expect(err.transient).toBe(false);
    expect(err.message).toContain('TLS certificate of the SQL Server was refused');
    expect(err.message).toContain("caFile=<the server's CA certificate>");
    expect(err.message).toContain('trustServerCertificate=true');
    const password = parseDatabaseUrl(tlsUrl as string) as MssqlUrl;
    if (password.password !== undefined) expect(err.message).not.toContain(password.password);
  });

  it('verifies the certificate with ?caFile= (and the caFile option) and the session is encrypted', async () => {
    expect(await encryptOption(withTls({ caFile: caFile as string }))).toBe('TRUE');
    expect(await encryptOption(withTls({}), { caFile: caFile as string })).toBe('TRUE');
    db = await openDatabase(withTls({ caFile: caFile as string }), { maxRetries: 0 });
    await db.migrate();
    expect(await db.health()).toMatchObject({ ok: true, dialect: 'mssql' });
  });

  it('accepts it unverified with ?trustServerCertificate=true (and the option)', async () => {
    expect(await encryptOption(withTls({ trustServerCertificate: 'true' }))).toBe('TRUE');
    expect(await encryptOption(withTls({}), { trustServerCertificate: true })).toBe('TRUE');
    db = await openDatabase(withTls({ trustServerCertificate: 'true' }), { maxRetries: 0 });
    await db.migrate();
    expect(await db.health()).toMatchObject({ ok: true, dialect: 'mssql' });
  });
});
