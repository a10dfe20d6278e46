/**
 * TLS through the built CLI, live on a SQL Server-compatible engine serving TLS with a self-signed
 * certificate (REFDATA_TEST_MSSQL_TLS: its URL; REFDATA_TEST_MSSQL_TLS_CA: the certificate's PEM
 * file; Babelfish with REFDATA_BABELFISH_TLS=1). Skipped when either is absent. The URL's
 * `?trustServerCertificate=true` is honoured; DB_CA_FILE and `?caFile=` verify the certificate;
 * by default the certificate is refused with a message naming both fixes and never the password.
 */
import { describe, expect, it } from 'vitest';
import { runCli, workspace } from './helpers.js';

const tlsUrl = process.env.REFDATA_TEST_MSSQL_TLS || undefined;
const caFile = process.env.REFDATA_TEST_MSSQL_TLS_CA || undefined;

/** The server's URL without its password, TLS on, plus `extra`; and the password apart. */
function target(extra: Record<string, string>): { url: string; password: string } {
  const u = new URL(tlsUrl as string);
  const password = decodeURIComponent(u.password) || (process.env.REFDATA_TEST_MSSQL_PASSWORD ?? '');
  u.password = '';
  u.searchParams.delete('encrypt');
  u.searchParams.delete('trustServerCertificate');
  u.searchParams.set('encrypt', 'true');
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return { url: u.toString(), password };
}

async function tables(extra: Record<string, string>, env: Record<string, string> = {}) {
  const ws = await workspace();
  const { url, password } = target(extra);
  const r = await runCli(['tables', '--db', url], {
    cwd: ws.dir,
    env: ws.env({ db_password: password, LOG_LEVEL: 'error', DB_MAX_RETRIES: '0', ...env }),
    timeoutMs: 60_000,
  });
  return { ...r, password };
}

const REFUSED = 'The TLS certificate of the SQL Server was refused';

describe.skipIf(tlsUrl === undefined || caFile === undefined)('the CLI on a SQL Server serving TLS, live', () => {
  it('refuses the self-signed certificate by default, naming caFile and trustServerCertificate', async () => {
    const r = await tables({});
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`DB_UNAVAILABLE (cause: ESOCKET): ${REFUSED}`);
    expect(r.stderr).toContain("caFile=<the server's CA certificate>");
    expect(r.stderr).toContain('trustServerCertificate=true');
    expect(r.stderr + r.stdout).not.toContain(r.password);
  });

  it('honours ?trustServerCertificate=true in the URL, unless DB_TRUST_SERVER_CERTIFICATE=false says otherwise', async () => {
    const ok = await tables({ trustServerCertificate: 'true' });
    expect(ok.code, ok.stderr).toBe(0);
    const overridden = await tables({ trustServerCertificate: 'true' }, { DB_TRUST_SERVER_CERTIFICATE: 'false' });
    expect(overridden.code).toBe(4);
    expect(overridden.stderr).toContain(REFUSED);
    const viaEnv = await tables({}, { DB_TRUST_SERVER_CERTIFICATE: 'true' });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
  });

  it('verifies the certificate with ?caFile= or DB_CA_FILE', async () => {
    const viaUrl = await tables({ caFile: caFile as string });
    expect(viaUrl.code, viaUrl.stderr).toBe(0);
    const viaEnv = await tables({}, { DB_CA_FILE: caFile as string });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
  });

  it('rejects a missing DB_CA_FILE at start-up, naming the setting', async () => {
    const r = await tables({}, { DB_CA_FILE: `${caFile as string}.missing` });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('APP_CONFIG_INVALID');
    expect(r.stderr).toContain('DB_CA_FILE (environment variable)');
    expect(r.stderr).toContain('cannot be read (ENOENT)');
  });
});
