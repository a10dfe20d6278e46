/**
 * The parse-worker path runs only from a build (a worker thread cannot load TypeScript sources),
 * so these tests bundle the package's two entries (index + parse-worker) with esbuild into a temp
 * folder, with detect and db resolved to their sources, and drive the bundled facade.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StagedRow } from '@refdata/db';
import { detectFormat } from '@refdata/detect';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedBatch, ReaderEnd } from '../src/batch-reader.js';
import { openBatches } from '../src/batch-source.js';
import type { ConversionPlan } from '../src/column-plan.js';
import type * as Ingest from '../src/index.js';
import { unpackRows } from '../src/packed-rows.js';
import { csv, readAll, rows, setup } from './helpers.js';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
let out = '';
let bundled: typeof Ingest;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'refdata-ingest-bundle-'));
  await build({
    entryPoints: { index: src('../src/index.ts'), 'parse-worker': src('../src/parse-worker.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    alias: { '@refdata/detect': src('../../detect/src/index.ts'), '@refdata/db': src('../../db/src/index.ts') },
    external: ['better-sqlite3', 'tedious', 'tarn'],
    // CommonJS dependencies (iconv-lite) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  bundled = (await import(pathToFileURL(join(out, 'index.js')).href)) as typeof Ingest;
});

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

describe('parse worker pipeline (bundled build)', () => {
  it('parses on a worker thread and loads exactly what the inline path loads', async () => {
    const { db, dir } = await setup();
    const text =
      'code,amount,day,flag,label\n' +
      '007,1234567890123456789012345678.0123456789,2024-02-29,true,"Åland, ""A"""\n' +
      `${Array.from({ length: 2500 }, (_, i) => `${String(i).padStart(4, '0')},${i}.5,2025-01-${String((i % 28) + 1).padStart(2, '0')},false,x${i}`).join('\n')}\n`;
    const file = await csv(dir, 'w.csv', text);
    const worker = bundled.createIngestor({ db, batchSize: 100 });
    const inline = bundled.createIngestor({ db, batchSize: 100, parseInWorker: false });
    expect(worker.parsesInWorker).toBe(true);
    expect(inline.parsesInWorker).toBe(false);
    const viaWorker = await worker.ingest(file, { table: 'via_worker' });
    const viaInline = await inline.ingest(file, { table: 'via_inline' });
    expect(viaWorker).toMatchObject({
      status: 'loaded',
      rowsRead: 2501,
      rowsLoaded: 2501,
      sha256: viaInline.sha256,
      bytes: viaInline.bytes,
    });
    const a = await readAll(db, 'via_worker');
    expect(a).toEqual(await readAll(db, 'via_inline'));
    expect(a[0]).toEqual(['007', '1234567890123456789012345678.0123456789', '2024-02-29', true, 'Åland, "A"']);
    await worker.close();
    await inline.close();
  });

  it('carries bad rows and their line numbers across the thread', async () => {
    const { db, dir } = await setup();
    const amount = { kind: 'decimal', precision: 9, scale: 2, decimalSeparator: '.', groupSeparator: '' } as const;
    const file = await csv(dir, 'bad.csv', `code,name,amount\n${rows(300)}000999,bad,x.y\n${rows(300, 400)}`);
    const ingestor = bundled.createIngestor({ db, batchSize: 64 });
    const result = await ingestor.ingest(file, { maxErrors: 1, format: { columnTypes: { amount } } });
    expect(result).toMatchObject({ rowsRead: 601, rowsLoaded: 600, rowsRejected: 1 });
    expect(result.rejects).toEqual([
      { line: 302, raw: '000999,bad,x.y', column: 'amount', value: 'x.y', reason: expect.any(String) },
    ]);
    await ingestor.close();
  });

  it('rejects the row of a quote that nothing closes past the detection sample, with its line', async () => {
    const { db, dir } = await setup();
    // Past the 1 MiB sample, an opening quote that never closes.
    const body = rows(40_000);
    const file = await csv(dir, 'late.csv', `code,name,amount\n${body}000001,"open,1.00\n${rows(5)}`);
    const ingestor = bundled.createIngestor({ db });
    const error = await ingestor.ingest(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The quote is read as a literal character and its row rejected (it may be cut short).
    expect(error).toMatchObject({
      code: 'INGEST_TOO_MANY_REJECTS',
      rejects: [
        {
          line: 40_002,
          reason:
            'a quote in this row is never closed (the row may be cut short); if quotes are data in this file, set the quote override to null',
        },
      ],
    });
    expect(await db.describeTable('late')).toBeUndefined();
    await ingestor.close();
  });

  it('stops the worker on cancel and leaves the table unchanged', async () => {
    const { db, dir } = await setup();
    const ingestor = bundled.createIngestor({ db, batchSize: 50 });
    await ingestor.ingest(await csv(dir, 'c.csv', `code,name,amount\n${rows(3)}`));
    const job = ingestor.ingest(await csv(dir, 'c.csv', `code,name,amount\n${rows(30_000)}`), { mode: 'append' });
    let batches = 0;
    ingestor.on('batch', () => {
      if (++batches === 2) job.cancel();
    });
    await expect(job).rejects.toMatchObject({ code: 'INGEST_CANCELLED' });
    expect(batches).toBeLessThan(100);
    expect(await readAll(db, 'c')).toHaveLength(3);
    await ingestor.close();
  });

  it('streams the same batches through the worker as inline, and stops the worker on abort', async () => {
    const { dir } = await setup();
    const file = await csv(dir, 'n.csv', `n,t\n${Array.from({ length: 1000 }, (_, i) => `${i},x${i}`).join('\n')}\n`);
    const format = await detectFormat(file);
    const plan: ConversionPlan = {
      fieldCount: 2,
      nullTokens: [''],
      columns: [
        { name: 't', source: 1, type: { kind: 'text', maxLength: 10 }, nullable: true },
        { name: 'n', source: 0, type: { kind: 'integer', size: 'int' }, nullable: true },
      ],
    };
    const config = { path: file, format, plan, batchSize: 300 };
    const drain = async (gen: AsyncGenerator<EncodedBatch, ReaderEnd>) => {
      const batches: { lines: number[]; rows: StagedRow[] }[] = [];
      for (;;) {
        const r = await gen.next();
        if (r.done) return { batches, end: r.value };
        batches.push({ lines: Array.from(r.value.rows.lines), rows: unpackRows(r.value.rows) });
      }
    };
    const workerUrl = pathToFileURL(join(out, 'parse-worker.js'));
    const viaWorker = await drain(openBatches(config, { workerUrl }));
    const inline = await drain(openBatches(config, {}));
    expect(viaWorker).toEqual(inline);
    expect(viaWorker.batches.map((b) => b.lines.length)).toEqual([300, 300, 300, 100]);

    const controller = new AbortController();
    const gen = openBatches(config, { workerUrl, signal: controller.signal });
    await gen.next();
    controller.abort(new Error('stop'));
    await expect(gen.next()).rejects.toThrow('stop');
  });
});
