// The onOperation hook of openDatabase.
import { describe, expect, it } from 'vitest';
import type { DatabaseOperation } from '../src/index.js';
import { openDatabase } from '../src/index.js';
import { openTempSqlite, readAll, staged, text } from './helpers.js';

describe('openDatabase onOperation', () => {
  it('reports each asynchronous call of the database, its files and its sessions, with its duration and outcome', async () => {
    const seen: DatabaseOperation[] = [];
    const { db } = await openTempSqlite({ onOperation: (op) => seen.push(op) });
    const claim = await db.files.claimNew(
      { path: '/in/a.csv', name: 'a.csv', size: 1 },
      { instanceId: 'i', leaseMs: 1000 },
    );
    const session = await db.beginLoad({ table: 'hooked', columns: [text('code', false)], fileId: claim!.fileId });
    await session.write(staged([['A'], ['B']]));
    await session.validate();
    expect(session.table).toBe('hooked');
    expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 2 });
    await expect(session.write(staged([['C']]))).rejects.toMatchObject({ code: 'DB_SESSION_CLOSED' });
    expect(await readAll(db, 'hooked')).toEqual([['A'], ['B']]);
    await expect(db.describeTable('')).rejects.toMatchObject({ code: 'DB_IDENTIFIER_INVALID' });

    expect(seen.map((op) => [op.name, op.ok])).toEqual([
      ['migrate', true],
      ['files.claimNew', true],
      ['beginLoad', true],
      ['session.write', true],
      ['session.validate', true],
      ['session.commit', true],
      ['session.write', false],
      ['describeTable', false],
    ]);
    for (const op of seen) expect(op.durationMs).toBeGreaterThanOrEqual(0);
    expect(db.dialect).toBe('sqlite');
    expect(db.displayUrl).toMatch(/^sqlite:/);
  });

  it('ignores (and logs) a hook that throws: the call still resolves', async () => {
    const warnings: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (obj: object, msg?: string) => warnings.push([obj, msg]),
      error: () => {},
      child: () => logger,
    };
    const { db } = await openTempSqlite({
      logger,
      onOperation: () => {
        throw new Error('metrics down');
      },
    });
    expect(await db.listTables()).toEqual([]);
    expect(warnings).toContainEqual([
      { operation: 'listTables', err: { message: 'metrics down' } },
      'onOperation hook threw; ignored',
    ]);
  });

  it('refuses an onOperation that is not a function before opening anything', async () => {
    await expect(
      openDatabase('sqlite::memory:', { onOperation: 'yes' as unknown as () => void }),
    ).rejects.toMatchObject({ code: 'DB_OPTION_INVALID' });
  });
});
