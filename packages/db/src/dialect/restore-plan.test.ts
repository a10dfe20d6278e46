// How a restore walks the chain of snapshots: which full snapshot it resets to, which deltas it
// undoes and in what order, and when it refuses.
import { describe, expect, it } from 'vitest';
import type { BackupInfo } from '../types.js';
import { assertUndoable, fullEntry, restorePlan, type SnapshotEntry, snapshotEntryFrom } from './shared.js';

const info = (snapshot: string, kind: BackupInfo['kind'], rows = 10): BackupInfo => ({
  table: 't',
  snapshot,
  takenAt: new Date(0),
  rows,
  kind,
  sourceFile: null,
  fileId: null,
  reason: kind === 'full' ? 'replace' : 'upsert',
});
const delta = (snapshot: string, rows = 10, rowsAfter = 12): SnapshotEntry => ({
  info: info(snapshot, 'delta', rows),
  keyColumns: ['code'],
  columnsBefore: ['code', 'name'],
  rowsAfter,
  watermark: 5,
});
const names = (plan: ReturnType<typeof restorePlan>) =>
  plan === undefined ? undefined : { base: plan.base?.info.snapshot, deltas: plan.deltas.map((d) => d.info.snapshot) };

describe('restorePlan', () => {
  // Newest first, as the catalogue lists them: d5, f4, d3, d2, f1.
  const chain = [delta('d5'), fullEntry(info('f4', 'full')), delta('d3'), delta('d2'), fullEntry(info('f1', 'full'))];

  it('undoes every delta from the live table back to the target when no full snapshot is on the way', () => {
    expect(names(restorePlan(chain, 'd5'))).toEqual({ base: undefined, deltas: ['d5'] });
  });

  it('resets to the oldest full snapshot at or after the target, then undoes the older deltas newest first', () => {
    expect(names(restorePlan(chain, 'd2'))).toEqual({ base: 'f4', deltas: ['d3', 'd2'] });
    expect(names(restorePlan(chain, 'd3'))).toEqual({ base: 'f4', deltas: ['d3'] });
    expect(names(restorePlan(chain, 'f1'))).toEqual({ base: 'f1', deltas: [] });
    expect(names(restorePlan(chain, 'f4'))).toEqual({ base: 'f4', deltas: [] });
  });

  it('answers undefined for a snapshot that is not catalogued', () => {
    expect(restorePlan(chain, 'nope')).toBeUndefined();
  });
});

describe('assertUndoable', () => {
  it('accepts the live row count the delta’s load left', () => {
    expect(() => assertUndoable('t', 'd2', delta('d2', 10, 12), 12)).not.toThrow();
  });

  it('refuses with DB_SNAPSHOT_CHAIN_BROKEN, naming the counts and what to do, when the table was changed outside refdata', () => {
    expect(() => assertUndoable('t', 'd2', delta('d2', 10, 12), 11)).toThrow(
      expect.objectContaining({
        code: 'DB_SNAPSHOT_CHAIN_BROKEN',
        message: expect.stringMatching(
          /needs the 12 rows that load left, but the table has 11.*Nothing was changed.*full/,
        ),
      }),
    );
  });

  it('refuses a delta catalogued without what undoing it needs', () => {
    const bare: SnapshotEntry = { ...delta('d2'), columnsBefore: null, rowsAfter: null };
    expect(() => assertUndoable('t', 'd2', bare, 12)).toThrow(
      expect.objectContaining({ code: 'DB_SNAPSHOT_CHAIN_BROKEN', message: expect.stringMatching(/lacks/) }),
    );
  });
});

describe('snapshotEntryFrom', () => {
  it('reads a catalogue row from before the delta migration as a full snapshot', () => {
    const e = snapshotEntryFrom({
      snapshot: 't.1',
      table_name: 't',
      taken_at: 0,
      rows: '3',
      source_file: null,
      file_id: null,
      reason: 'append',
    });
    expect(e).toEqual({
      info: { ...info('t.1', 'full', 3), reason: 'append' },
      keyColumns: null,
      columnsBefore: null,
      rowsAfter: null,
      watermark: null,
    });
  });

  it('reads a delta row with its keys, columns, row count after the load and watermark', () => {
    const e = snapshotEntryFrom({
      snapshot: 't.2',
      table_name: 't',
      taken_at: 0,
      rows: 10,
      source_file: 'f.csv',
      file_id: '7',
      reason: 'upsert',
      kind: 'delta',
      key_columns: '["code"]',
      columns_before: '["code","name"]',
      rows_after: '12',
      watermark: 5,
    });
    expect(e).toMatchObject({
      info: { kind: 'delta', rows: 10, fileId: 7, sourceFile: 'f.csv' },
      keyColumns: ['code'],
      columnsBefore: ['code', 'name'],
      rowsAfter: 12,
      watermark: 5,
    });
  });
});
