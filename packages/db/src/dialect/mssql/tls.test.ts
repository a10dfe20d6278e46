// TLS settings of SQL Server connections: ?caFile= / the caFile option, and refused certificates
// mapped to a DbError that names the fix.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../../../test/mssql-fakes.js';
import { type MssqlUrl, parseDatabaseUrl, redactDatabaseUrl } from '../../url.js';
import { refusedCertificate, wrapMssqlError } from './mssql-client.js';
import { buildTediousConfig } from './tedious-like.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const url = (text: string): MssqlUrl => parseDatabaseUrl(text) as MssqlUrl;

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'refdata-tls-')), name);
  writeFileSync(path, text);
  return path;
}

function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('caFile', () => {
  it('is parsed from the URL and kept in the redacted URL', () => {
    expect(url('mssql://u@h/db?encrypt=true&caFile=%2Fetc%2Fssl%2Fca.crt')).toMatchObject({
      encrypt: true,
      caFile: '/etc/ssl/ca.crt',
    });
    expect(url('mssql://u@h/db')).not.toHaveProperty('caFile');
    expect(redactDatabaseUrl('mssql://u:secret@h/db?caFile=/etc/ssl/ca.crt')).toBe(
      'mssql://u@h:1433/db?encrypt=true&caFile=%2Fetc%2Fssl%2Fca.crt',
    );
    expect(caught(() => parseDatabaseUrl('mssql://u:secret@h/db?caFile='))).toMatchObject({ code: 'DB_URL_INVALID' });
  });

  it('passes the PEM text of the URL parameter or the option (which wins) as cryptoCredentialsDetails.ca', () => {
    const { logger } = recordingLogger();
    const fromUrl = tempFile('url-ca.crt', PEM);
    const fromOption = tempFile('option-ca.crt', `${PEM}# option\n`);
    const viaUrl = buildTediousConfig(
      url(`mssql://u@h/db?caFile=${encodeURIComponent(fromUrl)}`),
      { password: 'p' },
      logger,
    );
    expect(viaUrl.options.cryptoCredentialsDetails).toEqual({ ca: PEM });
    expect(viaUrl.options.trustServerCertificate).toBe(false);
    const viaOption = buildTediousConfig(
      url(`mssql://u@h/db?caFile=${encodeURIComponent(fromUrl)}`),
      { password: 'p', caFile: fromOption },
      logger,
    );
    expect(viaOption.options.cryptoCredentialsDetails).toEqual({ ca: `${PEM}# option\n` });
    expect(buildTediousConfig(url('mssql://u@h/db'), { password: 'p' }, logger).options).not.toHaveProperty(
      'cryptoCredentialsDetails',
    );
  });

  it('is DB_OPTION_INVALID naming the setting when missing or not a certificate', () => {
    const { logger } = recordingLogger();
    const missing = join(tmpdir(), 'refdata-no-such-dir', 'ca.crt');
    const viaUrl = caught(() =>
      buildTediousConfig(url(`mssql://u:secret@h/db?caFile=${encodeURIComponent(missing)}`), {}, logger),
    );
    expect(viaUrl).toMatchObject({ code: 'DB_OPTION_INVALID' });
    expect(viaUrl.message).toContain(`?caFile= ${JSON.stringify(missing)} cannot be read (ENOENT)`);
    expect(viaUrl.message).not.toContain('secret');
    const viaOption = caught(() =>
      buildTediousConfig(url('mssql://u@h/db'), { password: 'p', caFile: missing }, logger),
    );
    expect(viaOption.message).toMatch(/^caFile ".*" cannot be read \(ENOENT\)/);
    const notPem = tempFile('key.txt', 'just text\n');
    const noCert = caught(() => buildTediousConfig(url('mssql://u@h/db'), { password: 'p', caFile: notPem }, logger));
    expect(noCert).toMatchObject({ code: 'DB_OPTION_INVALID' });
    expect(noCert.message).toContain('holds no PEM certificate');
  });
});

describe('trustServerCertificate', () => {
  it('comes from the URL unless the option says otherwise (either way)', () => {
    const { logger } = recordingLogger();
    const build = (text: string, trust?: boolean) =>
      buildTediousConfig(
        url(text),
        { password: 'p', ...(trust === undefined ? {} : { trustServerCertificate: trust }) },
        logger,
      ).options.trustServerCertificate;
    expect(build('mssql://u@h/db?trustServerCertificate=true')).toBe(true);
    expect(build('mssql://u@h/db?trustServerCertificate=true', false)).toBe(false);
    expect(build('mssql://u@h/db?trustServerCertificate=false', true)).toBe(true);
    expect(build('mssql://u@h/db')).toBe(false);
  });
});

describe('refused certificates', () => {
  // The shape tedious 19 gives for a self-signed certificate (measured against Babelfish with TLS).
  const selfSigned = Object.assign(new Error('Failed to connect to 127.0.0.1:14339 - self-signed certificate'), {
    code: 'ESOCKET',
    cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
  });

  it('become a permanent DB_UNAVAILABLE whose message names caFile and trustServerCertificate', () => {
    const err = wrapMssqlError(selfSigned, 'connecting');
    expect(err).toMatchObject({ code: 'DB_UNAVAILABLE', driverCode: 'ESOCKET', transient: false });
    expect(err.message).toContain('TLS certificate of the SQL Server was refused while connecting');
    expect(err.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate');
    expect(err.message).toContain("caFile=<the server's CA certificate>");
    expect(err.message).toContain('trustServerCertificate=true');
    expect(err.cause).toBe(selfSigned);
  });

  it('are found anywhere in the cause chain, for every unverifiable kind', () => {
    for (const code of [
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ]) {
      const inner = Object.assign(new Error(`tls: ${code}`), { code });
      const outer = new AggregateError([new Error('first'), Object.assign(new Error('x'), { cause: inner })], 'both');
      expect(refusedCertificate(outer)).toEqual({ code, message: `tls: ${code}` });
      expect(wrapMssqlError(outer, 'connecting').message).toContain(code);
    }
  });

  it('leave other socket errors alone', () => {
    const reset = Object.assign(new Error('Connection lost - read ECONNRESET'), {
      code: 'ESOCKET',
      cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    });
    expect(refusedCertificate(reset)).toBeUndefined();
    expect(wrapMssqlError(reset, 'connecting').message).toContain('SQL Server is unreachable while connecting');
  });
});
