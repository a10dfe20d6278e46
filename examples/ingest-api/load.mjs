// Loads one CSV file into an embedded SQLite database through @refdata/ingest, printing progress.
// Usage: node load.mjs FILE [--db sqlite:PATH] [--table NAME] [--mode replace|append|upsert] [--key COL,…] [--max-errors N]
// Without FILE it generates a 200,000-row demo file in the temp folder.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '@refdata/db';
import { createIngestor, isIngestError } from '@refdata/ingest';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    db: { type: 'string', default: `sqlite:${join(tmpdir(), 'refdata-example.db')}` },
    table: { type: 'string' },
    mode: { type: 'string' },
    key: { type: 'string' },
    'max-errors': { type: 'string', default: '0' },
  },
});

let file = positionals[0];
if (file === undefined) {
  file = join(tmpdir(), 'refdata-example-rates.csv');
  let text = 'code,name,rate,valid_from\n';
  for (let i = 0; i < 200_000; i++)
    text += `${String(i).padStart(6, '0')},"Rate ${i}, demo",${(i % 997) / 7},2025-01-${String((i % 28) + 1).padStart(2, '0')}\n`;
  await writeFile(file, text);
  console.log(`no FILE given: generated ${file}`);
}

const db = await openDatabase(values.db);
await db.migrate();
const ingestor = createIngestor({ db, progressIntervalSeconds: 0.5 });
ingestor.on('started', ({ table, format }) => {
  const columns = format.columns.map((c) => `${c.name}:${c.type.kind}`).join(', ');
  console.log(
    `loading into ref.${table} — delimiter ${JSON.stringify(format.delimiter.value)}, ${format.encoding.value}; ${columns}`,
  );
});

const job = ingestor.ingest(file, {
  ...(values.table ? { table: values.table } : {}),
  ...(values.mode ? { mode: values.mode } : {}),
  ...(values.key ? { keyColumns: values.key.split(',') } : {}),
  maxErrors: Number(values['max-errors']),
});
process.once('SIGINT', () => job.cancel('interrupted'));

try {
  for await (const p of job) {
    const pct = p.bytesTotal > 0 ? Math.round((p.bytesRead / p.bytesTotal) * 100) : 100;
    const line = `${String(pct).padStart(3)}%  ${p.rowsRead.toLocaleString('en')} rows read, ${p.rowsRejected} rejected, ${p.rowsPerSecond.toLocaleString('en')} rows/s, ETA ${p.etaSeconds ?? '?'} s`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line}${p.done ? '\n' : ''}`);
    else console.log(line);
  }
  const result = await job;
  console.log(
    `${result.status}: ${result.rowsLoaded.toLocaleString('en')} rows into ref.${result.table} in ${result.durationMs} ms (sha256 ${result.sha256.slice(0, 12)}…)` +
      (result.snapshot ? `; previous contents kept as ${result.snapshot}` : '') +
      (result.message ? `\n${result.message}` : ''),
  );
  if (result.rejectsCsv) console.log(`rejected rows:\n${result.rejectsCsv}`);
} catch (err) {
  if (!isIngestError(err)) throw err;
  console.error(`\nfailed: ${err.code}${err.causeCode ? ` (${err.causeCode})` : ''}: ${err.message}`);
  if (err.rejectsCsv) console.error(err.rejectsCsv);
  process.exitCode = 1;
} finally {
  await ingestor.close();
  await db.close();
}
