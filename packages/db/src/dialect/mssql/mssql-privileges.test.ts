import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MssqlClient } from './mssql-client.js';
import {
  leastPrivilegeSql,
  missingPermissions,
  PERMISSIONS_SQL,
  type PermissionRow,
  withPermissions,
} from './mssql-privileges.js';

const row = (schema: string, owner: string | null, extra: Partial<PermissionRow> = {}): PermissionRow => ({
  schema_name: schema,
  owner,
  me: 'loader',
  db_owner: 0,
  sysadmin: 0,
  babelfish: 0,
  create_table: 1,
  ...extra,
});

describe('leastPrivilegeSql', () => {
  it('is the script docs/least-privilege.sql ships, statement for statement', () => {
    const shipped = readFileSync(new URL('../../../../../docs/least-privilege.sql', import.meta.url), 'utf8');
    expect(leastPrivilegeSql({ database: 'refdata' })).toBe(shipped);
  });

  it('gives the login its four schemas, GRANT CREATE TABLE (SQL Server) and a read-only role, and quotes names', () => {
    const sql = leastPrivilegeSql({ database: 'ref data', login: 'svc]x', readerRole: 'readers' });
    const statements = sql.split('\n').filter((l) => l !== '' && l !== 'GO' && !l.startsWith('--'));
    expect(statements).toEqual([
      'SET QUOTED_IDENTIFIER ON;',
      'USE [master];',
      `CREATE LOGIN "svc]x" WITH PASSWORD = N'<a strong password>';`,
      'USE [ref data];',
      'CREATE USER "svc]x" FOR LOGIN "svc]x";',
      'CREATE SCHEMA [ref] AUTHORIZATION "svc]x";',
      'CREATE SCHEMA [bkp] AUTHORIZATION "svc]x";',
      'CREATE SCHEMA [stg] AUTHORIZATION "svc]x";',
      'CREATE SCHEMA [refdata] AUTHORIZATION "svc]x";',
      'GRANT CREATE TABLE TO "svc]x";',
      'CREATE ROLE [readers];',
      'GRANT SELECT ON SCHEMA::[ref] TO [readers];',
    ]);
    // No server role, no db_owner, nothing in dbo.
    expect(statements.join('\n')).not.toMatch(/sysadmin|db_owner|ADD MEMBER|dbo/i);
  });
});

describe('missingPermissions', () => {
  it('is empty for an owner of every schema that may create tables, and for db_owner or sysadmin', () => {
    const owned = ['ref', 'bkp', 'stg', 'refdata'].map((s) => row(s, 'loader'));
    expect(missingPermissions(owned)).toEqual([]);
    expect(missingPermissions([row('ref', null, { db_owner: 1 })])).toEqual([]);
    expect(missingPermissions([row('ref', 'dbo', { sysadmin: 1 })])).toEqual([]);
  });

  it('names the exact statement for a missing schema, a schema owned by another, and CREATE TABLE on SQL Server only', () => {
    const rows = [
      row('ref', 'loader', { create_table: 0 }),
      row('bkp', null),
      row('stg', 'dbo'),
      row('refdata', 'loader'),
    ];
    expect(missingPermissions(rows)).toEqual([
      {
        what: 'schema bkp does not exist (the service may not create schemas)',
        grant: 'CREATE SCHEMA [bkp] AUTHORIZATION [loader];',
      },
      { what: 'schema stg is owned by dbo, not by loader', grant: 'ALTER AUTHORIZATION ON SCHEMA::[stg] TO [loader];' },
      { what: 'loader may not create tables', grant: 'GRANT CREATE TABLE TO [loader];' },
    ]);
    // Babelfish has no CREATE TABLE permission to grant (HAS_PERMS_BY_NAME answers 0 or NULL there).
    expect(missingPermissions([row('ref', 'loader', { babelfish: 1, create_table: 0 })])).toEqual([]);
  });

  it('asks the server about the four schemas, the user, its roles and CREATE TABLE', () => {
    expect(PERMISSIONS_SQL).toContain("(VALUES (N'ref'), (N'bkp'), (N'stg'), (N'refdata'))");
    expect(PERMISSIONS_SQL).toContain("HAS_PERMS_BY_NAME(NULL, 'DATABASE', 'CREATE TABLE')");
    expect(PERMISSIONS_SQL).toContain("IS_MEMBER('db_owner')");
  });
});

describe('withPermissions', () => {
  const report = { ok: true, dialect: 'mssql' as const, latencyMs: 1, schemaVersion: 1 };
  const clientAnswering = (rows: PermissionRow[] | Error) =>
    ({
      unit: async () => {
        if (rows instanceof Error) throw rows;
        return rows;
      },
      logger: {
        debug() {},
        info() {},
        warn() {},
        error() {},
        child() {
          return this;
        },
      },
    }) as unknown as MssqlClient;

  it('turns missing permissions into a failed report with the statements to run', async () => {
    const r = await withPermissions(report, clientAnswering([row('ref', 'dbo')]));
    expect(r.ok).toBe(false);
    expect(r.missingPermissions).toHaveLength(1);
    expect(r.message).toBe(
      'the login lacks permissions the service needs; a DBA grants them with: ALTER AUTHORIZATION ON SCHEMA::[ref] TO [loader];',
    );
  });

  it('leaves the report as it was when all is granted or the check cannot run', async () => {
    expect(await withPermissions(report, clientAnswering([row('ref', 'loader')]))).toBe(report);
    expect(await withPermissions(report, clientAnswering(new Error('no view')))).toBe(report);
  });
});
