// The tedious configuration built from a URL and options (TLS defaults, the unverified-certificate warning).
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../../../test/mssql-fakes.js';
import type { MssqlUrl } from '../../url.js';
import { parseDatabaseUrl, redactDatabaseUrl } from '../../url.js';
import { buildTediousConfig } from './tedious-like.js';

const url = (text: string): MssqlUrl => parseDatabaseUrl(text) as MssqlUrl;

describe('buildTediousConfig', () => {
  it('encrypts and verifies the server certificate by default, with tedious retries off', () => {
    const { logger, lines } = recordingLogger();
    const config = buildTediousConfig(url('mssql://loader@db.example.com/refdata'), { password: 'pw' }, logger);
    expect(config.options).toMatchObject({
      encrypt: true,
      trustServerCertificate: false,
      port: 1433,
      database: 'refdata',
      maxRetriesOnTransientErrors: 0,
      useUTC: true,
      lowerCaseGuids: true,
      connectTimeout: 15000,
    });
    expect(config.server).toBe('db.example.com');
    expect(config.authentication).toEqual({ type: 'default', options: { userName: 'loader', password: 'pw' } });
    expect(lines).toEqual([]);
  });

  it('supports strict TLS and named instances', () => {
    const { logger } = recordingLogger();
    const config = buildTediousConfig(url('mssql://u@host%5CSQLEXPRESS/db?encrypt=strict'), { password: 'pw' }, logger);
    expect(config.options.encrypt).toBe('strict');
    expect(config.options.instanceName).toBe('SQLEXPRESS');
    expect(config.options.port).toBeUndefined();
  });

  it('trusts an unverified certificate only when asked, and warns', () => {
    const { logger, lines } = recordingLogger();
    const viaUrl = buildTediousConfig(url('mssql://u@h/db?trustServerCertificate=true'), { password: 'pw' }, logger);
    expect(viaUrl.options.trustServerCertificate).toBe(true);
    const viaOption = buildTediousConfig(
      url('mssql://u@h/db'),
      { password: 'pw', trustServerCertificate: true },
      logger,
    );
    expect(viaOption.options.trustServerCertificate).toBe(true);
    expect(lines.filter((l) => l.level === 'warn' && /NOT verified/.test(l.msg ?? ''))).toHaveLength(2);
    buildTediousConfig(url('mssql://u@h/db?encrypt=false'), { password: 'pw' }, logger);
    expect(lines.some((l) => l.level === 'warn' && /NOT encrypted/.test(l.msg ?? ''))).toBe(true);
  });

  it('takes the password from the option before the URL, and requires one', () => {
    const { logger, lines } = recordingLogger();
    expect(
      buildTediousConfig(url('mssql://u:fromurl@h/db'), { password: 'fromoption' }, logger).authentication,
    ).toEqual({ type: 'default', options: { userName: 'u', password: 'fromoption' } });
    expect(buildTediousConfig(url('mssql://u:fromurl@h/db'), {}, logger).authentication).toEqual({
      type: 'default',
      options: { userName: 'u', password: 'fromurl' },
    });
    expect(() => buildTediousConfig(url('mssql://u@h/db'), {}, logger)).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
    expect(JSON.stringify(lines)).not.toContain('fromurl');
    expect(redactDatabaseUrl('mssql://u:fromurl@h/db')).not.toContain('fromurl');
  });
});
