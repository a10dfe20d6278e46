import { chmod, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { MssqlUrl } from '../../url.js';
import { parseDatabaseUrl, redactDatabaseUrl } from '../../url.js';
import {
  authenticationFromUrlParams,
  authenticationProvider,
  checkAuthentication,
  readPasswordFile,
  warnIfSecretFileIsShared,
} from './mssql-auth.js';
import { buildTediousConfig } from './tedious-like.js';

function recorder() {
  const warn = vi.fn();
  const logger = { debug() {}, info() {}, warn, error() {}, child: () => logger };
  return { logger, warn };
}

async function secretFile(content: string, mode = 0o600): Promise<string> {
  const { dir, cleanup } = await makeTempDir('refdata-secret-');
  onTestFinished(cleanup);
  const path = join(dir, 'db_password');
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  return path;
}

describe('passwordFile', () => {
  it('reads the file for each new connection, so a rotated password is used from then on', async () => {
    const path = await secretFile('first-Secret-1\n');
    const { logger, warn } = recorder();
    const authenticate = authenticationProvider({ user: 'loader', passwordFile: path }, logger);
    expect(authenticate()).toEqual({ type: 'default', options: { userName: 'loader', password: 'first-Secret-1' } });
    // Rotation as a secret manager does it: a new file renamed over the old one.
    await writeFile(`${path}.new`, 'second-Secret-2', { mode: 0o600 });
    await rename(`${path}.new`, path);
    expect(authenticate()).toEqual({ type: 'default', options: { userName: 'loader', password: 'second-Secret-2' } });
    expect(warn).not.toHaveBeenCalled();
  });

  it('strips one trailing line break only, and refuses an empty or missing file without quoting it', async () => {
    expect(readPasswordFile(await secretFile('pa ss\r\n'))).toBe('pa ss');
    expect(readPasswordFile(await secretFile('pass\n\n'))).toBe('pass\n');
    const empty = await secretFile('\n');
    expect(() => readPasswordFile(empty)).toThrow(expect.objectContaining({ code: 'DB_OPTION_INVALID' }));
    expect(() => readPasswordFile(`${empty}.missing`)).toThrow(
      /cannot be read \(ENOENT\)\. Check the path \(DB_PASSWORD_FILE\)/,
    );
    const { logger } = recorder();
    expect(() => authenticationProvider({ user: 'u', passwordFile: `${empty}.missing` }, logger)).toThrow(
      expect.objectContaining({ code: 'DB_OPTION_INVALID' }),
    );
  });

  it('warns when the group or others may read the file, naming its mode, never its content', async () => {
    const shared = await secretFile('Shared-Secret-9', 0o644);
    const { logger, warn } = recorder();
    authenticationProvider({ user: 'u', passwordFile: shared }, logger);
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toEqual({ file: shared, mode: '0644' });
    expect(JSON.stringify(warn.mock.calls)).not.toContain('Shared-Secret-9');
    expect(warnIfSecretFileIsShared(await secretFile('x', 0o640), logger)).toBe(true);
    expect(warnIfSecretFileIsShared(await secretFile('x', 0o400), logger)).toBe(false);
    expect(warnIfSecretFileIsShared('/nonexistent/file', logger)).toBe(false);
  });

  it('refuses a password given twice, and a missing one', async () => {
    const { logger } = recorder();
    const path = await secretFile('p1-secret');
    expect(() => authenticationProvider({ user: 'u', password: 'x', passwordFile: path }, logger)).toThrow(/not both/);
    expect(() => authenticationProvider({ user: 'u' }, logger)).toThrow(/No password for SQL Server user "u"/);
    // The URL's password is used when no other is given.
    expect(authenticationProvider({ user: 'u', urlPassword: 'from-url' }, logger)()).toMatchObject({
      options: { password: 'from-url' },
    });
  });

  it('is what buildTediousConfig uses when opened with passwordFile', async () => {
    const path = await secretFile('cfg-Secret');
    const { logger } = recorder();
    const config = buildTediousConfig(
      parseDatabaseUrl('mssql://loader@h/db') as MssqlUrl,
      { passwordFile: path },
      logger,
    );
    expect(config.authentication).toEqual({ type: 'default', options: { userName: 'loader', password: 'cfg-Secret' } });
  });
});

describe('authentication types', () => {
  const { logger } = recorder();

  it('maps NTLM to tedious ntlm with the domain, user and password', () => {
    const authenticate = authenticationProvider(
      { user: 'svc_refdata', authentication: { type: 'ntlm', domain: 'CORP' }, password: 'Win-Pass-1' },
      logger,
    );
    expect(authenticate()).toEqual({
      type: 'ntlm',
      options: { userName: 'svc_refdata', password: 'Win-Pass-1', domain: 'CORP' },
    });
  });

  it('maps Entra ID default credential and managed identity, with or without a client id, and takes no password', () => {
    expect(
      authenticationProvider({ user: '', authentication: { type: 'azure-active-directory-default' } }, logger)(),
    ).toEqual({
      type: 'azure-active-directory-default',
      options: {},
    });
    expect(
      authenticationProvider(
        {
          user: '',
          authentication: { type: 'azure-active-directory-msi-vm', clientId: '11111111-2222-3333-4444-555555555555' },
        },
        logger,
      )(),
    ).toEqual({ type: 'azure-active-directory-msi-vm', options: { clientId: '11111111-2222-3333-4444-555555555555' } });
    expect(() =>
      authenticationProvider(
        { user: '', authentication: { type: 'azure-active-directory-msi-vm' }, password: 'x' },
        logger,
      ),
    ).toThrow(/uses no password/);
  });

  it('maps a service principal with its client secret from the password file', async () => {
    const path = await secretFile('client-Secret-7\n');
    const authenticate = authenticationProvider(
      {
        user: '',
        authentication: {
          type: 'azure-active-directory-service-principal-secret',
          clientId: 'app-id',
          tenantId: 'tenant-id',
        },
        passwordFile: path,
      },
      logger,
    );
    expect(authenticate()).toEqual({
      type: 'azure-active-directory-service-principal-secret',
      options: { clientId: 'app-id', clientSecret: 'client-Secret-7', tenantId: 'tenant-id' },
    });
    expect(() =>
      authenticationProvider(
        {
          user: '',
          authentication: { type: 'azure-active-directory-service-principal-secret', clientId: 'a', tenantId: 't' },
        },
        logger,
      ),
    ).toThrow(/No client secret/);
  });

  it('checks the type and its parameters', () => {
    expect(() => checkAuthentication({ type: 'kerberos' })).toThrow(/is not one of sql, ntlm/);
    expect(() => checkAuthentication({ type: 'ntlm' })).toThrow(/needs domain/);
    expect(() => checkAuthentication({ type: 'sql', domain: 'X' })).toThrow(/takes no parameters, not domain/);
    expect(() =>
      checkAuthentication({ type: 'azure-active-directory-service-principal-secret', clientId: 'a' }),
    ).toThrow(/needs tenantId/);
    expect(() =>
      authenticationProvider({ user: '', authentication: { type: 'ntlm', domain: 'D' }, password: 'p' }, logger),
    ).toThrow(/needs a login name/);
  });

  it('is selectable in the URL, and the display URL names the type but no secret', () => {
    const ntlm = parseDatabaseUrl('mssql://svc:Pw-123@sql01:1433/refdata?authentication=ntlm&domain=CORP') as MssqlUrl;
    expect(ntlm.authentication).toEqual({ type: 'ntlm', domain: 'CORP' });
    expect(redactDatabaseUrl(ntlm)).toBe('mssql://svc@sql01:1433/refdata?encrypt=true&authentication=ntlm&domain=CORP');
    const msi = parseDatabaseUrl(
      'mssql://sql01.database.windows.net/refdata?authentication=azure-active-directory-msi-vm',
    );
    expect(msi).toMatchObject({ user: '', authentication: { type: 'azure-active-directory-msi-vm' } });
    expect(redactDatabaseUrl(msi)).toBe(
      'mssql://sql01.database.windows.net:1433/refdata?encrypt=true&authentication=azure-active-directory-msi-vm',
    );
    const config = buildTediousConfig(msi as MssqlUrl, {}, logger);
    expect(config.authentication).toEqual({ type: 'azure-active-directory-msi-vm', options: {} });
    expect(authenticationFromUrlParams(new URLSearchParams('encrypt=true'))).toBeUndefined();
    expect(() => parseDatabaseUrl('mssql://u@h/db?domain=CORP')).toThrow(
      expect.objectContaining({ code: 'DB_URL_INVALID' }),
    );
    expect(() => parseDatabaseUrl('mssql://u@h/db?authentication=kerberos')).toThrow(/is not one of/);
    expect(() => parseDatabaseUrl('mssql://h/db')).toThrow(/has no user/);
  });
});
