import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '@refdata/db';
import { createIngestor } from '@refdata/ingest';
import type { ClaimedFile } from '@refdata/monitor';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type AppConfig, loadConfig } from './config.js';
import { createFileHandler, type FileOutcome } from './file-handler.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

async function setup(env: Record<string, string> = {}, datasets?: Record<string, unknown>) {
  const { dir, cleanup } = await makeTempDir('refdata-handler-');
  if (datasets !== undefined) await writeFile(join(dir, 'refdata.config.json'), JSON.stringify({ datasets }));
  const db = await openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
  await db.migrate();
  const config: AppConfig = loadConfig({ env, cwd: dir });
  const ingestor = createIngestor({ db, typeSampleRows: config.ingest.typeSampleRows });
  onTestFinished(async () => {
    await ingestor.close();
    await db.close();
    await cleanup();
  });
  await mkdir(join(dir, 'processing'), { recursive: true });
  const outcomes: FileOutcome[] = [];
  const handler = createFileHandler({
    ingestor,
    db,
    config,
    logger: silent,
    scrub: (t) => t,
    onOutcome: (o) => outcomes.push(o),
  });
  const claim = async (name: string, content: string): Promise<ClaimedFile> => {
    const processingPath = join(dir, 'processing', name);
    await writeFile(processingPath, content);
    const c = await db.files.claimNew(
      { path: join(dir, 'incoming', name), name, size: content.length },
      { instanceId: 't', leaseMs: 60_000 },
    );
    if (c === null) throw new Error('not claimed');
    return { path: join(dir, 'incoming', name), name, size: content.length, mtimeMs: 1, claim: c, processingPath };
  };
  return { db, handler, claim, outcomes, ingestor };
}

describe('createFileHandler', () => {
  it('archives a loaded file and records sha256, rows and table on its tracking row', async () => {
    const { db, handler, claim, outcomes } = await setup();
    const file = await claim('currencies_20250101.csv', 'code,numeric_code\nALL,008\nAUD,036\n');
    const result = await handler(file, { signal: new AbortController().signal });
    expect(result).toMatchObject({ state: 'archived', sidecars: [] });
    expect(await db.files.get(file.claim.fileId)).toMatchObject({
      targetTable: 'currencies',
      rowsRead: 2,
      rowsLoaded: 2,
      rowsRejected: 0,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(outcomes).toEqual([expect.objectContaining({ state: 'archived', table: 'currencies', rowsLoaded: 2 })]);
  });

  it('writes rejected rows as a .rejects.csv sidecar when they are tolerated', async () => {
    const { handler, claim } = await setup({ INGEST_MAX_ERRORS: '5', INGEST_TYPE_SAMPLE_ROWS: '2' });
    const file = await claim('units.csv', 'code,factor\na,1\nb,2\nc,three\nd,4\n');
    const result = await handler(file, { signal: new AbortController().signal });
    expect(result.state).toBe('archived');
    const sidecar = result.sidecars?.[0];
    expect(sidecar?.suffix).toBe('.rejects.csv');
    expect(String(sidecar?.content)).toMatch(/^line,column,value,reason,raw\n4,factor,three,/);
  });

  it('fails a file with its code and message, with the rejects beside it, and leaves the table as it was', async () => {
    const { db, handler, claim } = await setup({ INGEST_TYPE_SAMPLE_ROWS: '2' });
    const first = await claim('units.csv', 'code,factor\na,1\nb,2\n');
    await handler(first, { signal: new AbortController().signal });
    await db.files.finish(first.claim, { status: 'archived', path: first.processingPath });
    const file = await claim('units.csv', 'code,factor\nx,1\ny,2\nz,many\n');
    const result = await handler(file, { signal: new AbortController().signal });
    expect(result).toMatchObject({ state: 'failed', error: { code: 'INGEST_TOO_MANY_REJECTS' } });
    if (result.state !== 'failed') return;
    expect(result.sidecars?.[0]?.suffix).toBe('.rejects.csv');
    expect((await db.describeTable('units'))?.rowCount).toBe(2);
  });

  it('writes NAME.held.json beside a held file with the reason and the release command', async () => {
    const { db, handler, claim } = await setup();
    const first = await claim('countries.csv', 'code,name\nAX,Åland\nDE,Germany\nFR,France\n');
    await handler(first, { signal: new AbortController().signal });
    await db.files.finish(first.claim, { status: 'archived', path: first.processingPath });
    const file = await claim('countries.csv', 'code,name\n');
    const result = await handler(file, { signal: new AbortController().signal });
    expect(result.state).toBe('held');
    const sidecar = result.sidecars?.find((s) => s.suffix === '.held.json');
    expect(JSON.parse(String(sidecar?.content))).toMatchObject({
      state: 'held',
      message: expect.stringContaining('would empty ref.countries (3 rows)'),
      table: 'ref.countries',
      file: 'countries.csv',
      fileId: file.claim.fileId,
      release: `refdata release ${file.claim.fileId}`,
    });
    expect((await db.describeTable('countries'))?.rowCount).toBe(3);
  });

  it('does not load again a file whose earlier attempt committed before its process died', async () => {
    const { db, handler, claim, ingestor } = await setup({}, { rates: { mode: 'append' } });
    const file = await claim('rates.csv', 'code,rate\nEUR,1.0\nUSD,1.1\n');
    // The earlier attempt: committed with this file id, then the process was killed.
    await ingestor.ingest(file.processingPath, { table: 'rates', mode: 'append', fileId: file.claim.fileId });
    expect((await db.describeTable('rates'))?.rowCount).toBe(2);
    const result = await handler(file, { signal: new AbortController().signal });
    expect(result).toMatchObject({ state: 'archived', details: { recovered: true } });
    expect((await db.describeTable('rates'))?.rowCount).toBe(2);
    expect(await db.files.get(file.claim.fileId)).toMatchObject({ rowsLoaded: 2, targetTable: 'rates' });
  });

  it('rethrows when the monitor aborts the signal, so the file goes back in line', async () => {
    const { handler, claim } = await setup();
    const file = await claim('late.csv', 'a,b\n1,2\n');
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await expect(handler(file, { signal: controller.signal })).rejects.toBeDefined();
  });
});
