// Parsing and redacting database URLs.
import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redactDatabaseUrl } from './url.js';

describe('parseDatabaseUrl', () => {
  it('parses SQLite paths and the in-memory database', () => {
    expect(parseDatabaseUrl('sqlite:./data/refdata.db')).toEqual({ dialect: 'sqlite', path: './data/refdata.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/refdata.db')).toEqual({
      dialect: 'sqlite',
      path: '/var/lib/refdata.db',
    });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
  });

  it('parses SQL Server URLs with secure defaults', () => {
    expect(parseDatabaseUrl('mssql://loader@db.example.com/refdata')).toEqual({
      dialect: 'mssql',
      host: 'db.example.com',
      port: 1433,
      database: 'refdata',
      user: 'loader',
      encrypt: true,
      trustServerCertificate: false,
      connectTimeoutMs: 15000,
    });
    expect(
      parseDatabaseUrl(
        'mssql://u:p%40ss%3Aword@h:1500/db?encrypt=strict&trustServerCertificate=true&connectTimeout=5000',
      ),
    ).toMatchObject({
      port: 1500,
      password: 'p@ss:word',
      encrypt: 'strict',
      trustServerCertificate: true,
      connectTimeoutMs: 5000,
    });
    expect(parseDatabaseUrl('mssql://u@h%5CSQLEXPRESS/db')).toMatchObject({ host: 'h', instanceName: 'SQLEXPRESS' });
  });

  it('rejects malformed URLs with DB_URL_INVALID and never repeats a password', () => {
    for (const bad of [
      '',
      'postgres://u@h/db',
      'mssql://h/db',
      'mssql://u@h/',
      'mssql://u@h/a/b',
      'mssql://u:secret@h/db?foo=1',
      'mssql://u@h/db?encrypt=maybe',
      'nonsense',
      'sqlite:',
    ]) {
      let caught: unknown;
      try {
        parseDatabaseUrl(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toMatchObject({ code: 'DB_URL_INVALID' });
      expect((caught as Error).message).not.toContain('secret');
    }
  });
});

describe('redactDatabaseUrl', () => {
  it('drops the password and keeps what identifies the database', () => {
    expect(redactDatabaseUrl('mssql://sa:secret@db:1433/refdata')).toBe('mssql://sa@db:1433/refdata?encrypt=true');
    expect(redactDatabaseUrl('mssql://sa:secret@db/refdata?trustServerCertificate=true')).toBe(
      'mssql://sa@db:1433/refdata?encrypt=true&trustServerCertificate=true',
    );
    expect(redactDatabaseUrl('sqlite:./x.db')).toBe('sqlite:./x.db');
    expect(redactDatabaseUrl('mssql://sa:secret@db/refdata?bogus=secret')).toBe('mssql:<invalid>');
    expect(redactDatabaseUrl('no scheme secret')).toBe('<invalid database URL>');
  });
});
